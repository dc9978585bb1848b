from .multimodal_encoder_decoder import MultiModalEncoderDecoder, stack_modality_mask

__all__ = ['MultiModalEncoderDecoder', 'stack_modality_mask']
