from .batch_dice_loss import BatchDiceLoss
from .height_loss import HeightL1Loss, HeightSiLogLoss

__all__ = ['BatchDiceLoss', 'HeightL1Loss', 'HeightSiLogLoss']
