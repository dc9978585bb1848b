from .height_heads import HeightLightHead, HeightRegressionMixin, HeightUPerHead
from .linknet_head import HeightLinkNetHead, LinkNetHead

__all__ = ['HeightLightHead', 'HeightLinkNetHead', 'HeightRegressionMixin', 'HeightUPerHead',
           'LinkNetHead']
