"""Models (registration imports); ``pretrain`` registers into the ``mars`` scope."""
from . import (backbones, data_preprocessors, decode_heads, detectors, losses,  # noqa: F401
               pretrain, segmentors)
