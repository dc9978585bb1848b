"""Datasets and transforms (registration imports)."""
from .bright import BRIGHTDataset, bright_event
from .deepglobe import DeepGlobeRoadDataset
from .earthmiss import EARTHMISS_CITIES, EarthMissDataset
from .multimodal_seg import MultiModalSegDataset
from .synthetic import (make_synthetic_deepglobe, make_synthetic_earthmiss,
                        make_synthetic_ubc_height)
from .synthetic_change import make_synthetic_bright, make_synthetic_whu_cd
from .ubc_height import UBCHeightDataset, holdout_split
from .whu_cd import BitemporalSegDataset, WHUCDDataset
from .transforms import *  # noqa: F401,F403

__all__ = [
    'DeepGlobeRoadDataset', 'EarthMissDataset', 'EARTHMISS_CITIES', 'MultiModalSegDataset',
    'make_synthetic_deepglobe', 'make_synthetic_earthmiss',
    'make_synthetic_ubc_height', 'UBCHeightDataset', 'holdout_split',
    'BRIGHTDataset', 'bright_event', 'BitemporalSegDataset', 'WHUCDDataset',
    'make_synthetic_bright', 'make_synthetic_whu_cd'
]
from .mars16m import MARS16M_SAR_NORM, MaRS16MDataset  # noqa: E402
from .synthetic_pretrain import make_synthetic_mars16m, make_synthetic_scene_pair  # noqa: E402

__all__ += [
    'MaRS16MDataset', 'MARS16M_SAR_NORM', 'make_synthetic_mars16m', 'make_synthetic_scene_pair'
]
