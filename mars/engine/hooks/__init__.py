from .multimodal_visualization_hook import MultiModalSegVisualizationHook, sar_to_uint8
from .normalization_check_hook import NormalizationCheckHook, normalization_of

__all__ = [
    'MultiModalSegVisualizationHook', 'NormalizationCheckHook', 'normalization_of',
    'sar_to_uint8'
]
