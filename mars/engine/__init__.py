from .layer_decay_constructor import MaRSLayerDecayOptimizerConstructor

__all__ = ['MaRSLayerDecayOptimizerConstructor']
