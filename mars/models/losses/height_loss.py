"""Masked regression losses for building height maps (metres, NaN = no label)."""
import torch
import torch.nn as nn

from mars.registry import register_downstream


class MaskedHeightLoss(nn.Module):
    """Base of the height losses: selects the valid pixels, then :meth:`masked_loss`.

    Pixels outside ``valid_mask`` (by default the non-finite targets) are selected out
    before any arithmetic, so NaN labels give neither a NaN loss nor a NaN gradient. A
    batch without valid pixel gives a zero loss that still depends on ``pred`` (so that
    distributed training sees every parameter used).

    Args:
        loss_weight (float): Weight of the loss.
        loss_name (str): Name of the loss item (``loss_`` prefix: part of the total loss).
    """

    accepts_valid_mask = True

    def __init__(self, loss_weight, loss_name):
        super().__init__()
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    def forward(self, pred, target, valid_mask=None, **kwargs):
        """Args: pred, target (Tensor): ``[B, 1, H, W]``; valid_mask (Tensor, optional)."""
        if valid_mask is None:
            valid_mask = torch.isfinite(target)
        valid_mask = valid_mask.bool().expand_as(target)
        pred_v, target_v = pred[valid_mask], target[valid_mask]
        if pred_v.numel() == 0:
            return pred.sum() * 0.
        return self.loss_weight * self.masked_loss(pred_v, target_v)

    def masked_loss(self, pred, target):
        """The loss of the valid values (1-D tensors)."""
        raise NotImplementedError

    @property
    def loss_name(self):
        """str: Name of the loss item."""
        return self._loss_name


@register_downstream('MODELS', det=False)
class HeightL1Loss(MaskedHeightLoss):
    """Mean absolute error over the valid pixels (see :class:`MaskedHeightLoss`).

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        loss_name (str): Name of the loss item. Defaults to 'loss_height_l1'.
    """

    def __init__(self, loss_weight=1.0, loss_name='loss_height_l1'):
        super().__init__(loss_weight, loss_name)

    def masked_loss(self, pred, target):
        return (pred - target).abs().mean()


@register_downstream('MODELS', det=False)
class HeightSiLogLoss(MaskedHeightLoss):
    """Scale-invariant log loss on ``log(height + offset)`` over the valid pixels.

    Unlike mmseg's ``SiLogLoss`` (which drops targets <= eps), ground pixels (height 0)
    take part thanks to ``offset``. Computed over all valid pixels of the batch.

    Args:
        offset (float): Added to heights (in network units) before the log. Defaults to 1.0.
        lambd (float): Weight of the squared mean (scale-invariance) term. Defaults to 0.5.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        loss_name (str): Name of the loss item. Defaults to 'loss_height_silog'.
    """

    def __init__(self, offset=1.0, lambd=0.5, loss_weight=1.0, loss_name='loss_height_silog'):
        super().__init__(loss_weight, loss_name)
        if offset <= 0:
            raise ValueError(f'offset must be > 0, got {offset}')
        self.offset = offset
        self.lambd = lambd

    def masked_loss(self, pred, target):
        # Negative predictions (no output activation) must not reach log(<= 0).
        diff = torch.log(target.clamp(min=0.) + self.offset) - torch.log(
            pred.clamp(min=0.) + self.offset)
        variance = (diff.pow(2).mean() - self.lambd * diff.mean().pow(2)).clamp(min=1e-12)
        return torch.sqrt(variance)
