"""Python inference API: ``from mars.apis import init_model, inference_model``.

Not imported by ``import mars`` (it pulls the inference stack in; training and the tools
do not need it).
"""
from .complexity import model_complexity
from .inference import InferencePipeline, inference_model, init_model
from .tiled_inference import (blend_profile, blend_windows, dense_scores, detect_windows,
                              num_windows, scene_predictor, window_starts)

__all__ = [
    'init_model', 'inference_model', 'InferencePipeline', 'model_complexity',
    'blend_profile', 'blend_windows', 'dense_scores', 'detect_windows', 'num_windows',
    'scene_predictor', 'window_starts'
]
