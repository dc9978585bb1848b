"""Transforms registered into mmseg's (and, where they apply, mmdet's) TRANSFORMS, and the
pretraining transforms of the ``mars`` scope."""
from .bitemporal import LoadBitemporalImages
from .detection import LoadMergedModalities
from .formatting import PackMultiModalSegInputs
from .geometric import RandomRot90, RandomRotateBorder
from .height import LoadHeightAnnotation, gdal_nodata
from .loading import (LoadDeepGlobeRoadMask, LoadRSAnnotations, LoadRSImageFromFile,
                      read_image)
from mars.utils.modalities import modality_slice
from .multimodal import DropModalities, LoadMultiModalImages, ModalitySliceTransform
from .pretrain import (LoadMaRSPair, MaRSMaskGenerator, PackMaRSPairInputs, PairedRandomFlip,
                       PairedRandomResizedCrop)
from .sar import SARLogTransform, SARPercentileClip

__all__ = [
    'LoadRSImageFromFile', 'LoadDeepGlobeRoadMask', 'LoadRSAnnotations', 'RandomRot90',
    'RandomRotateBorder',
    'read_image', 'LoadMultiModalImages', 'ModalitySliceTransform', 'DropModalities',
    'modality_slice', 'SARLogTransform', 'SARPercentileClip', 'PackMultiModalSegInputs',
    'LoadHeightAnnotation', 'gdal_nodata', 'LoadMergedModalities', 'LoadBitemporalImages',
    'LoadMaRSPair', 'PairedRandomResizedCrop', 'PairedRandomFlip', 'MaRSMaskGenerator',
    'PackMaRSPairInputs'
]
