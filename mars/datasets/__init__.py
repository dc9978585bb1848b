"""Datasets and transforms (registration imports)."""
from .deepglobe import DeepGlobeRoadDataset
from .earthmiss import EARTHMISS_CITIES, EarthMissDataset
from .multimodal_seg import MultiModalSegDataset
from .synthetic import make_synthetic_deepglobe, make_synthetic_earthmiss
from .transforms import *  # noqa: F401,F403

__all__ = [
    'DeepGlobeRoadDataset', 'EarthMissDataset', 'EARTHMISS_CITIES', 'MultiModalSegDataset',
    'make_synthetic_deepglobe', 'make_synthetic_earthmiss'
]
