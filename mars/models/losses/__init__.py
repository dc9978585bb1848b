from .height_loss import HeightL1Loss, HeightSiLogLoss

__all__ = ['HeightL1Loss', 'HeightSiLogLoss']
