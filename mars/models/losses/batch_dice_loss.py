"""Soft Dice loss per class over the whole batch (the definition of
segmentation_models_pytorch's ``DiceLoss``, which the MaRS authors' downstream code uses)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mars.registry import register_downstream


@register_downstream('MODELS', det=False)
class BatchDiceLoss(nn.Module):
    """Soft Dice loss per class, pooled over all pixels of all images of the batch.

    Probabilities are ``sigmoid(logits)`` for one output channel (binary: the class is the
    label 1) and ``softmax(logits)`` over the channels otherwise. For each class ``c``:

    ``dice_c = 2 * sum(p_c * t_c) / max(sum(p_c) + sum(t_c), eps)``, sums over the batch
    and the pixels; the loss is the mean over classes of ``1 - dice_c``, where a class
    with no ground-truth pixel in the batch contributes 0 (and still counts in the mean).
    Pixels labelled ``ignore_index`` are left out of every sum.

    This differs from mmseg's ``DiceLoss``, which computes one Dice per image over all
    classes' channels together (``p^2`` in the denominator by default) and averages over
    images.

    Args:
        eps (float): Lower bound of the denominator. Defaults to 1e-7.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        loss_name (str): Name of the loss item. Defaults to 'loss_dice'.
    """

    def __init__(self, eps=1e-7, loss_weight=1.0, loss_name='loss_dice'):
        super().__init__()
        self.eps = eps
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, pred, target, weight=None, ignore_index=255, **kwargs):
        """Args: pred (Tensor): logits ``[B, C, H, W]``; target (Tensor): labels
        ``[B, H, W]`` in ``[0, C)`` (``{0, 1}`` when ``C == 1``) or ``ignore_index``;
        weight: must be None (per-pixel weights are not supported)."""
        if weight is not None:
            raise ValueError('BatchDiceLoss does not support per-pixel weights')
        if pred.dim() != 4 or target.shape != (pred.shape[0], *pred.shape[2:]):
            raise ValueError(f'BatchDiceLoss expects logits [B, C, H, W] and labels '
                             f'[B, H, W], got {tuple(pred.shape)} and {tuple(target.shape)}')
        valid = target != ignore_index if ignore_index is not None else \
            torch.ones_like(target, dtype=torch.bool)
        labels = torch.where(valid, target, torch.zeros_like(target)).long()
        num_classes = pred.shape[1]
        classes = max(num_classes, 2)
        if labels.numel() and int(labels.max()) >= classes:
            raise ValueError(f'BatchDiceLoss: label {int(labels.max())} out of range for '
                             f'{num_classes} output channel(s)')
        if num_classes == 1:
            prob = torch.sigmoid(pred)
            truth = (labels == 1).unsqueeze(1)
        else:
            prob = F.softmax(pred, dim=1)
            truth = F.one_hot(labels, num_classes).permute(0, 3, 1, 2).bool()
        mask = valid.unsqueeze(1)
        prob = prob * mask
        truth = (truth & mask).to(prob.dtype)
        dims = (0, 2, 3)
        intersection = (prob * truth).sum(dims)
        cardinality = (prob + truth).sum(dims)
        dice = 2 * intersection / cardinality.clamp_min(self.eps)
        present = truth.sum(dims) > 0
        loss = ((1 - dice) * present.to(dice.dtype)).mean()
        return self.loss_weight * loss

    @property
    def loss_name(self):
        """str: Name of the loss item."""
        return self._loss_name
