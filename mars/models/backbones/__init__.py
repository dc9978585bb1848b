from .mars_backbone import MaRSBackbone
from .mars_multimodal_backbone import MaRSMultiModalBackbone
from .siamese_backbone import MaRSSiameseBackbone

__all__ = ['MaRSBackbone', 'MaRSMultiModalBackbone', 'MaRSSiameseBackbone']
