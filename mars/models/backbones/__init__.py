from .mars_backbone import MaRSBackbone

__all__ = ['MaRSBackbone']
