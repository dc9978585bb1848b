"""MaRS-Bench: fine-tune, benchmark and pretrain the MaRS RGB+SAR foundation model."""
from .utils import det_ops, dist_env, safe_checkpoint  # noqa: F401  (dist_env: CPU DDP)
from .version import __version__

# Must run before any checkpoint is read: mmengine 0.10.7's loader fails on torch >= 2.6.
safe_checkpoint.install()
# RoIAlign / NMS on CUDA through torchvision when mmcv's ops are CPU-only.
det_ops.install()

from . import datasets, engine, evaluation, models  # noqa: E402,F401  (registration)

__all__ = ['__version__']
