"""Datasets and transforms (registration imports)."""
from .bitemporal_seg import BitemporalSegDataset
from .bright import BRIGHTDataset, bright_event
from .coco_by_name import CocoByNameDataset
from .deepglobe import DeepGlobeRoadDataset
from .earthmiss import EARTHMISS_CITIES, EarthMissDataset
from .mars16m import MARS16M_SAR_NORM, MaRS16MDataset
from .multimodal_seg import MultiModalSegDataset
from .sardet import SARDET_CLASSES, SARDetDataset
from .ubc_height import UBCHeightDataset, holdout_split
from .ubcv2 import UBCV2_FINE_CLASSES, UBCV2Dataset
from .whu_cd import WHUCDDataset
from .transforms import *  # noqa: F401,F403

__all__ = [
    'DeepGlobeRoadDataset', 'EarthMissDataset', 'EARTHMISS_CITIES', 'MultiModalSegDataset',
    'UBCHeightDataset', 'holdout_split', 'SARDET_CLASSES', 'CocoByNameDataset',
    'SARDetDataset', 'UBCV2_FINE_CLASSES', 'UBCV2Dataset', 'BRIGHTDataset', 'bright_event',
    'BitemporalSegDataset', 'WHUCDDataset', 'MaRS16MDataset', 'MARS16M_SAR_NORM'
]
