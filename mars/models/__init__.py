from . import (backbones, data_preprocessors, decode_heads, detectors, losses,  # noqa: F401
               segmentors)
from . import pretrain  # noqa: F401  (MaRS pretraining, scope 'mars')
