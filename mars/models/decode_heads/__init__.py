from .height_heads import HeightLightHead, HeightRegressionMixin, HeightUPerHead

__all__ = ['HeightLightHead', 'HeightRegressionMixin', 'HeightUPerHead']
