from .hooks import NormalizationCheckHook
from .layer_decay_constructor import MaRSLayerDecayOptimizerConstructor
from .runner import ModalityAvailabilityTestLoop

__all__ = [
    'MaRSLayerDecayOptimizerConstructor', 'ModalityAvailabilityTestLoop',
    'NormalizationCheckHook'
]
