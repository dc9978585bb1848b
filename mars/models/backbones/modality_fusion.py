"""Per-stage fusion of modality feature maps, weighted by a modality mask.

Every fusion module takes ``features`` (one NCHW map per modality, in the backbone's
modality order, ``None`` for a modality that no sample of the batch has) and ``mask``
(BoolTensor ``[B, M]``, True = present) and returns one NCHW map with the stage's channels.
A modality that is missing in a sample contributes nothing to that sample's output: its
features are replaced by zeros with :func:`torch.where` (not multiplied by 0, which would
keep NaN / inf) before they are combined.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model.weight_init import trunc_normal_

FUSION_TYPES = ('sum', 'mean', 'concat', 'attention')


def masked_features(features, mask):
    """Zero-fill the features of missing modalities.

    Args:
        features (list[Tensor | None]): One ``[B, C, H, W]`` map per modality, None for a
            modality absent from the whole batch (at least one must be a tensor).
        mask (Tensor): BoolTensor ``[B, M]``.

    Returns:
        list[Tensor]: The maps, with zeros for the samples (or the whole batch) where the
        modality is missing.
    """
    reference = next(f for f in features if f is not None)
    filled = []
    for index, feature in enumerate(features):
        if feature is None:
            filled.append(torch.zeros_like(reference))
        else:
            present = mask[:, index].view(-1, 1, 1, 1)
            filled.append(torch.where(present, feature, feature.new_zeros(())))
    return filled


def masked_sum(features, mask, average=False):
    """Sum (``average``: mean) over the present modalities of each sample.

    Args:
        features (list[Tensor | None]): As in :func:`masked_features`.
        mask (Tensor): BoolTensor ``[B, M]``.
        average (bool): Divide by the number of present modalities. Defaults to False.
    """
    filled = masked_features(features, mask)
    fused = filled[0]
    for feature in filled[1:]:
        fused = fused + feature
    if average:
        fused = fused / mask.sum(dim=1).to(fused.dtype).view(-1, 1, 1, 1)
    return fused


class SumFusion(nn.Module):
    """Sum (or mean) of the present modalities' feature maps.

    A sample with a single present modality gets exactly that modality's features.

    Args:
        average (bool): Divide by the number of present modalities. Defaults to False.
    """

    def __init__(self, average=False):
        super().__init__()
        self.average = average

    def forward(self, features, mask):
        return masked_sum(features, mask, self.average)


class ConcatFusion(nn.Module):
    """Concatenation of the (zero-filled) modality maps and a 1x1 conv back to ``channels``.

    The conv starts as a sum over modalities (identity blocks, zero bias), so fine-tuning
    starts from the authors' sum fusion and the pretrained feature scale.

    Args:
        channels (int): Channels of each modality's map and of the output.
        num_modalities (int): Number of modalities concatenated.
    """

    def __init__(self, channels, num_modalities):
        super().__init__()
        self.proj = nn.Conv2d(channels * num_modalities, channels, kernel_size=1)
        with torch.no_grad():
            identity = torch.eye(channels).view(channels, channels, 1, 1)
            self.proj.weight.copy_(identity.repeat(1, num_modalities, 1, 1))
            self.proj.bias.zero_()

    def forward(self, features, mask):
        return self.proj(torch.cat(masked_features(features, mask), dim=1))


class MaskedAttentionBlock(nn.Module):
    """Pre-norm transformer block whose attention ignores masked keys.

    ``x = x + Attn(LN(x)); x = x + MLP(LN(x))`` with
    :func:`torch.nn.functional.scaled_dot_product_attention`.

    Args:
        channels (int): Token width.
        num_heads (int): Attention heads; must divide ``channels``.
        mlp_ratio (float): MLP hidden width over ``channels``.
    """

    def __init__(self, channels, num_heads, mlp_ratio=4.):
        super().__init__()
        if channels % num_heads:
            raise ValueError(f'attention fusion: num_heads={num_heads} does not divide the '
                             f'stage channels {channels}')
        self.num_heads = num_heads
        self.norm1 = nn.LayerNorm(channels)
        self.qkv = nn.Linear(channels, channels * 3)
        self.proj = nn.Linear(channels, channels)
        self.norm2 = nn.LayerNorm(channels)
        hidden = int(channels * mlp_ratio)
        self.mlp = nn.Sequential(
            nn.Linear(channels, hidden), nn.GELU(), nn.Linear(hidden, channels))

    def attend(self, x, key_mask=None):
        batch, length, channels = x.shape
        qkv = self.qkv(x).view(batch, length, 3, self.num_heads, channels // self.num_heads)
        query, key, value = qkv.permute(2, 0, 3, 1, 4).unbind(0)
        # [B, L] -> [B, 1, 1, L]: every query and head sees the same allowed keys.
        attn_mask = None if key_mask is None else key_mask[:, None, None, :]
        out = F.scaled_dot_product_attention(query, key, value, attn_mask=attn_mask)
        return self.proj(out.transpose(1, 2).reshape(batch, length, channels))

    def forward(self, x, key_mask=None):
        x = x + self.attend(self.norm1(x), key_mask)
        return x + self.mlp(self.norm2(x))


class AttentionFusion(nn.Module):
    """Meta-Modality-Attention-style fusion of one stage's modality maps.

    Each round runs, per modality, self-attention within that modality's tokens (own
    weights per modality), then one joint attention over the concatenated tokens of all
    modalities in which the keys of missing modalities are masked out. The token layout
    is always ``M x HW`` (zeros for a modality absent from the batch) so that a sample's
    result does not depend on the other samples of the batch. The output is the mean of
    the present modalities' token maps; a sample without SAR therefore gets exactly what
    the RGB branch alone would give.

    Args:
        channels (int): Channels of the stage.
        modalities (Sequence[str]): Modality names, in the backbone's order.
        num_heads (int): Attention heads. Defaults to 8.
        mlp_ratio (float): MLP width ratio. Defaults to 4.
        num_rounds (int): (intra, joint) rounds; MaRS's MMA uses 2. Defaults to 2.
    """

    def __init__(self, channels, modalities, num_heads=8, mlp_ratio=4., num_rounds=2):
        super().__init__()
        self.modalities = tuple(modalities)
        self.intra = nn.ModuleList(
            nn.ModuleDict({name: MaskedAttentionBlock(channels, num_heads, mlp_ratio)
                           for name in self.modalities}) for _ in range(num_rounds))
        self.joint = nn.ModuleList(
            MaskedAttentionBlock(channels, num_heads, mlp_ratio) for _ in range(num_rounds))
        self.apply(self._init_linear)

    @staticmethod
    def _init_linear(module):
        # ViT / Swin initialisation for the new (never pretrained) attention weights.
        if isinstance(module, nn.Linear):
            trunc_normal_(module.weight, std=.02)
            nn.init.zeros_(module.bias)

    def forward(self, features, mask):
        reference = next(f for f in features if f is not None)
        batch, channels, height, width = reference.shape
        tokens = [None if f is None else f.flatten(2).transpose(1, 2) for f in features]
        num_tokens = height * width
        # [B, M] -> [B, M * HW]: a key is visible when its modality is present.
        key_mask = mask.repeat_interleave(num_tokens, dim=1)
        for intra, joint in zip(self.intra, self.joint):
            tokens = [None if t is None else intra[name](t)
                      for name, t in zip(self.modalities, tokens)]
            joint_tokens = torch.cat(
                [reference.new_zeros(batch, num_tokens, channels) if t is None else t
                 for t in tokens], dim=1)
            tokens = list(joint(joint_tokens, key_mask).split(num_tokens, dim=1))
            # A modality absent from the whole batch stays skipped in the next round.
            tokens = [None if f is None else t for f, t in zip(features, tokens)]
        maps = [None if t is None else t.transpose(1, 2).reshape(batch, channels, height, width)
                for t in tokens]
        return masked_sum(maps, mask, average=True)


def build_fusion(fusion, channels, modalities, attention_cfg=None):
    """Fusion module for one stage.

    Args:
        fusion (str): One of :data:`FUSION_TYPES`.
        channels (int): Channels of the stage.
        modalities (Sequence[str]): Modality names in order.
        attention_cfg (dict, optional): Keyword arguments of :class:`AttentionFusion`.
    """
    if fusion == 'sum':
        return SumFusion()
    if fusion == 'mean':
        return SumFusion(average=True)
    if fusion == 'concat':
        return ConcatFusion(channels, len(modalities))
    if fusion == 'attention':
        return AttentionFusion(channels, modalities, **(attention_cfg or {}))
    raise ValueError(f'unknown fusion {fusion!r}; expected one of {FUSION_TYPES}')
