"""Losses of MaRS pretraining: masked reconstruction, teacher distillation and
Cross-Granularity Contrastive Learning (CGCL).

Token tensors are ``[B, N, C]``: Swin has no class token, so every token is a patch (the
deepest stage gives ``N = (H / 32) * (W / 32)`` tokens).
"""
import torch
import torch.nn.functional as F
from torch import nn

from mars.registry import MODELS


def _info_nce(logits, target):
    """Cross entropy of ``logits [..., K]`` against integer ``target [...]``."""
    return F.cross_entropy(logits.flatten(0, -2).float(), target.flatten())


@MODELS.register_module()
class MaskedL1Loss(nn.Module):
    """SimMIM reconstruction loss: L1 over the masked pixels only, divided by channels.

    ``loss = sum(|pred - target| * mask) / (sum(mask) + eps) / C`` where ``mask`` is 1 on
    masked pixels (broadcast over the ``C`` channels); unmasked pixels contribute nothing.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        eps (float): Guards a batch without masked pixels. Defaults to 1e-5.
    """

    def __init__(self, loss_weight=1.0, eps=1e-5):
        super().__init__()
        self.loss_weight = loss_weight
        self.eps = eps

    def forward(self, pred, target, mask):
        """
        Args:
            pred (Tensor): Reconstruction ``[B, C, H, W]``.
            target (Tensor): Normalised input ``[B, C, H, W]``.
            mask (Tensor): ``[B, H, W]`` (or ``[B, 1, H, W]``), 1 where masked.
        """
        if mask.dim() == 3:
            mask = mask.unsqueeze(1)
        mask = mask.to(pred.dtype)
        l1 = (pred.float() - target.float()).abs() * mask
        loss = l1.sum() / (mask.sum() + self.eps) / pred.shape[1]
        return self.loss_weight * loss


@MODELS.register_module()
class TokenDistillationLoss(nn.Module):
    """Feature distillation: negative cosine similarity of student and teacher tokens.

    ``loss = -mean_{b, n} cos(student[b, n], teacher[b, n])``, in ``[-1, 1]``, -1 when each
    student token points the same way as the teacher's token at the same position. The
    teacher tokens are detached: no gradient reaches the teacher.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        cosine_dim (str): ``'channel'``: the cosine of each token pair, over channels (the
            definition above). ``'token'`` reproduces the MaRS authors' code, whose
            ``nn.CosineSimilarity(dim=1)`` on ``[B, N, C]`` takes the cosine of each channel
            over the token axis (a bug: it compares channel profiles, not tokens).
            Defaults to 'channel'.
    """

    def __init__(self, loss_weight=1.0, cosine_dim='channel'):
        super().__init__()
        if cosine_dim not in ('channel', 'token'):
            raise ValueError(f"cosine_dim must be 'channel' or 'token', got {cosine_dim!r}")
        self.loss_weight = loss_weight
        self.cosine_dim = cosine_dim

    def forward(self, student, teacher):
        """
        Args:
            student (Tensor): ``[B, N, C]`` tokens.
            teacher (Tensor): ``[B, N, C]`` tokens of the frozen teacher.
        """
        dim = -1 if self.cosine_dim == 'channel' else 1
        cos = F.cosine_similarity(student.float(), teacher.detach().float(), dim=dim)
        return -self.loss_weight * cos.mean()


@MODELS.register_module()
class CrossGranularityContrastiveLoss(nn.Module):
    """Cross-Granularity Contrastive Learning between RGB and SAR tokens.

    Tokens are L2-normalised; ``r``, ``s`` are the RGB and SAR tokens ``[B, N, C]``, ``g_r``,
    ``g_s`` their mean over tokens ``[B, C]`` (a mean of unit vectors, as the MaRS authors
    compute it; ``renormalize_global=True`` normalises it again). Three InfoNCE terms, each
    the cross entropy of similarities / temperature against the positive:

    * patch-to-patch (``t_p2p``): each RGB patch against SAR patches, the patch at the same
      position of the same image is the positive; the negatives are every patch of the
      batch (``p2p_negatives='batch'``, the authors') or those of the same image
      (``'image'``); and SAR -> RGB the same way. Mean of the two directions.
    * image-to-image (``t_i2i``): each RGB image vector ``g_r`` against every SAR image
      vector of the batch, the same image is the positive; and SAR -> RGB.
    * patch-to-global (``t_p2g``): each RGB patch against the global vector ``g_s`` of every
      image of the batch, its own image is the positive; and each SAR patch against the
      ``g_r``.

    ``loss = loss_weight * (w_p2p * L_p2p + w_i2i * L_i2i + w_p2g * L_p2g)``.
    Pairs that match (same image, same position) give the lowest loss; shuffled pairs more.

    Two switches reproduce bugs of the authors' ``cross_contrastive`` (both off by default):
    ``authors_p2g_targets=True`` scores patch-to-global against their targets, which all
    point at the first image's global vector (their labels index a ``[BN, BN]`` matrix of
    repeated global vectors); ``drop_first_token=True`` drops each image's first token as
    if it were a class token (Swin has none: it is a patch).

    Args:
        loss_weight (float): Weight of the whole loss. Defaults to 1.0.
        weights (Sequence[float]): ``(w_p2p, w_i2i, w_p2g)``. Defaults to (0.5, 0.3, 0.2).
        temperatures (Sequence[float]): ``(t_p2p, t_i2i, t_p2g)``. Defaults to
            (0.1, 0.05, 0.07).
        p2p_negatives (str): ``'batch'`` or ``'image'``. Defaults to 'batch'.
        renormalize_global (bool): Normalise the global vectors. Defaults to False.
        authors_p2g_targets (bool): See above. Defaults to False.
        drop_first_token (bool): See above. Defaults to False.
    """

    def __init__(self, loss_weight=1.0, weights=(0.5, 0.3, 0.2),
                 temperatures=(0.1, 0.05, 0.07), p2p_negatives='batch',
                 renormalize_global=False, authors_p2g_targets=False,
                 drop_first_token=False):
        super().__init__()
        if len(weights) != 3 or len(temperatures) != 3:
            raise ValueError(f'weights and temperatures need 3 values (p2p, i2i, p2g), got '
                             f'{weights} and {temperatures}')
        if p2p_negatives not in ('batch', 'image'):
            raise ValueError(f"p2p_negatives must be 'batch' or 'image', got "
                             f'{p2p_negatives!r}')
        self.loss_weight = loss_weight
        self.weights = tuple(weights)
        self.temperatures = tuple(temperatures)
        self.p2p_negatives = p2p_negatives
        self.renormalize_global = renormalize_global
        self.authors_p2g_targets = authors_p2g_targets
        self.drop_first_token = drop_first_token

    def terms(self, rgb, sar):
        """The three unweighted terms as a dict ``p2p``, ``i2i``, ``p2g``."""
        rgb = F.normalize(rgb.float(), dim=-1)
        sar = F.normalize(sar.float(), dim=-1)
        if self.drop_first_token:
            rgb, sar = rgb[:, 1:], sar[:, 1:]
        batch, tokens = rgb.shape[:2]
        t_p2p, t_i2i, t_p2g = self.temperatures
        if self.p2p_negatives == 'batch':
            p2p = rgb.flatten(0, 1) @ sar.flatten(0, 1).t() / t_p2p  # [BN, BN]
            positions = torch.arange(batch * tokens, device=rgb.device)
        else:
            p2p = torch.einsum('bnc,bmc->bnm', rgb, sar) / t_p2p  # [B, N, N]
            positions = torch.arange(tokens, device=rgb.device).expand(batch, tokens)
        loss_p2p = (_info_nce(p2p, positions) + _info_nce(p2p.transpose(-1, -2), positions)) / 2

        g_rgb, g_sar = rgb.mean(1), sar.mean(1)
        if self.renormalize_global:
            g_rgb, g_sar = F.normalize(g_rgb, dim=-1), F.normalize(g_sar, dim=-1)
        images = torch.arange(batch, device=rgb.device)
        i2i = g_rgb @ g_sar.t() / t_i2i
        loss_i2i = (_info_nce(i2i, images) + _info_nce(i2i.t(), images)) / 2

        rgb_to_sar = torch.einsum('bnc,kc->bnk', rgb, g_sar) / t_p2g  # [B, N, B]
        sar_to_rgb = torch.einsum('bnc,kc->bnk', sar, g_rgb) / t_p2g
        target = images[:, None].expand(batch, tokens)  # each patch's own image ...
        if self.authors_p2g_targets:
            # ... as a column of the authors' [BN, BN] matrix, which repeats each global
            # vector N times: column b holds the global vector of image b // N.
            rgb_to_sar = rgb_to_sar.repeat_interleave(tokens, dim=-1)
            sar_to_rgb = sar_to_rgb.repeat_interleave(tokens, dim=-1)
        loss_p2g = (_info_nce(rgb_to_sar, target) + _info_nce(sar_to_rgb, target)) / 2
        return dict(p2p=loss_p2p, i2i=loss_i2i, p2g=loss_p2g)

    def forward(self, rgb, sar):
        """
        Args:
            rgb (Tensor): RGB tokens ``[B, N, C]``.
            sar (Tensor): SAR tokens ``[B, N, C]`` at the same positions.
        """
        terms = self.terms(rgb, sar)
        w_p2p, w_i2i, w_p2g = self.weights
        return self.loss_weight * (
            w_p2p * terms['p2p'] + w_i2i * terms['i2i'] + w_p2g * terms['p2g'])
