"""MaRS pretraining as mmengine modules (registry scope ``mars``)."""
from .data_preprocessor import MaRSPretrainDataPreProcessor
from .losses import CrossGranularityContrastiveLoss, MaskedL1Loss, TokenDistillationLoss
from .mars_pretrain_model import MaRSPretrainModel
from .meta_modality_attention import MetaModalityAttention

__all__ = [
    'MaRSPretrainModel', 'MetaModalityAttention', 'MaRSPretrainDataPreProcessor',
    'MaskedL1Loss', 'TokenDistillationLoss', 'CrossGranularityContrastiveLoss'
]
