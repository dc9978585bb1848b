from . import backbones, data_preprocessors, decode_heads, losses, segmentors  # noqa: F401
