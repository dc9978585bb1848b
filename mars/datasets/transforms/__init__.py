"""Transforms registered into mmseg's (and, where they apply, mmdet's) TRANSFORMS."""
from .geometric import RandomRot90
from .loading import LoadDeepGlobeRoadMask, LoadRSImageFromFile, read_image

__all__ = ['LoadRSImageFromFile', 'LoadDeepGlobeRoadMask', 'RandomRot90', 'read_image']
