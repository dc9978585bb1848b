from .baseline_backbone import BASELINE_ARCHS, BaselineBackbone, baseline_channels
from .simple_pyramid import SimpleFeaturePyramid

__all__ = ['BASELINE_ARCHS', 'BaselineBackbone', 'SimpleFeaturePyramid', 'baseline_channels']
