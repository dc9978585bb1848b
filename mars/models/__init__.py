from . import backbones, data_preprocessors, segmentors  # noqa: F401
