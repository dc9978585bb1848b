from .baseline_backbone import (BASELINE_ARCHS, CHECKPOINT_FORMATS, BaselineBackbone,
                                CheckpointFormat, baseline_channels, register_baseline_arch,
                                register_checkpoint_format)
from .croma import CROMA_ARCHS, CROMABackbone, croma_channels
from .dofa import DOFA_ARCHS, DOFABackbone, dofa_channels
from .simple_pyramid import SimpleFeaturePyramid
# Baselines built by their own modules register their archs and checkpoint formats.
from . import crossmae, gfm, scalemae  # noqa: F401,E402

__all__ = ['BASELINE_ARCHS', 'BaselineBackbone', 'SimpleFeaturePyramid', 'baseline_channels',
           'CHECKPOINT_FORMATS', 'CheckpointFormat', 'register_baseline_arch',
           'register_checkpoint_format', 'CROMA_ARCHS', 'CROMABackbone', 'croma_channels',
           'DOFA_ARCHS', 'DOFABackbone', 'dofa_channels']
