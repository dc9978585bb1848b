from .change_visualization_hook import ChangeVisualizationHook, colorize_labels
from .det_visualization_hook import MultiModalDetVisualizationHook, modality_display
from .height_visualization_hook import HeightVisualizationHook, colorize_height
from .multimodal_visualization_hook import MultiModalSegVisualizationHook, sar_to_uint8
from .normalization_check_hook import (NormalizationCheckHook, input_range_problems,
                                       normalization_of)
from .split_record_hook import SplitRecordHook

__all__ = [
    'MultiModalDetVisualizationHook', 'modality_display',
    'HeightVisualizationHook', 'MultiModalSegVisualizationHook', 'NormalizationCheckHook',
    'SplitRecordHook', 'colorize_height', 'input_range_problems', 'normalization_of',
    'sar_to_uint8',
    'ChangeVisualizationHook', 'colorize_labels'
]
