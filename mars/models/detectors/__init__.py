from .modality_mask_mixin import MaskedInputs, ModalityMaskDetectorMixin
from .multimodal_two_stage import MultiModalCascadeRCNN, MultiModalFasterRCNN

__all__ = ['MaskedInputs', 'ModalityMaskDetectorMixin', 'MultiModalCascadeRCNN',
           'MultiModalFasterRCNN']
