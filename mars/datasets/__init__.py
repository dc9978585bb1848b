"""Datasets and transforms (registration imports)."""
from .deepglobe import DeepGlobeRoadDataset
from .earthmiss import EARTHMISS_CITIES, EarthMissDataset
from .multimodal_seg import MultiModalSegDataset
from .synthetic import (make_synthetic_deepglobe, make_synthetic_earthmiss,
                        make_synthetic_ubc_height)
from .ubc_height import UBCHeightDataset, holdout_split
from .transforms import *  # noqa: F401,F403

__all__ = [
    'DeepGlobeRoadDataset', 'EarthMissDataset', 'EARTHMISS_CITIES', 'MultiModalSegDataset',
    'make_synthetic_deepglobe', 'make_synthetic_earthmiss',
    'make_synthetic_ubc_height', 'UBCHeightDataset', 'holdout_split'
]
