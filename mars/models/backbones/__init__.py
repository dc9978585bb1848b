from .mars_backbone import MaRSBackbone
from .mars_multimodal_backbone import MaRSMultiModalBackbone

__all__ = ['MaRSBackbone', 'MaRSMultiModalBackbone']
