"""Datasets and transforms (registration imports)."""
from .deepglobe import DeepGlobeRoadDataset
from .synthetic import make_synthetic_deepglobe
from .transforms import *  # noqa: F401,F403

__all__ = ['DeepGlobeRoadDataset', 'make_synthetic_deepglobe']
