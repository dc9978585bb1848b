from .multimodal_encoder_decoder import MultiModalEncoderDecoder, stack_modality_mask
from .multimodal_height_estimator import MultiModalHeightEstimator

__all__ = ['MultiModalEncoderDecoder', 'MultiModalHeightEstimator', 'stack_modality_mask']
