from .multimodal_encoder_decoder import MultiModalEncoderDecoder, stack_modality_mask
from .multimodal_height_estimator import MultiModalHeightEstimator
from .siamese_encoder_decoder import SiameseEncoderDecoder

__all__ = ['MultiModalEncoderDecoder', 'MultiModalHeightEstimator', 'stack_modality_mask',
           'SiameseEncoderDecoder']
