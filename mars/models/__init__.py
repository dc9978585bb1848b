from . import backbones, data_preprocessors, decode_heads, losses, segmentors  # noqa: F401
from . import pretrain  # noqa: F401  (MaRS pretraining, scope 'mars')
