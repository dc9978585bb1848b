from .mars_backbone import MaRSBackbone
from .mars_multimodal_backbone import MaRSMultiModalBackbone
from .siamese_backbone import MaRSSiameseBackbone
from .baselines import BaselineBackbone

__all__ = ['BaselineBackbone', 'MaRSBackbone', 'MaRSMultiModalBackbone', 'MaRSSiameseBackbone']
