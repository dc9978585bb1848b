"""GFM (Mendieta et al., "Towards Geospatial Foundation Models via Continual Pretraining",
ICCV 2023; mmendiet/GFM): a Swin-B (ImageNet-22k) continually pretrained on GeoPile with
SimMIM plus feature distillation from an ImageNet teacher.

The network is Microsoft's Swin-B (``models/swin_transformer.py``), which timm builds and
whose keys timm's ``checkpoint_filter_fn`` converts (as for the Swin-B baseline). The
pretraining checkpoint is SimMIM's ``{'model': SimMIM state dict}`` (``models/teacher.py``):
the encoder under ``encoder.`` (with SimMIM's ``mask_token``), the pixel decoder
(``decoder.*``), the distillation projector (``projector.*``) and the frozen ImageNet
teacher (``teacher.*``). As GFM's own ``load_pretrained``, the ``encoder.`` keys are taken
(prefix removed) and the rest dropped; a file of the encoder alone (no ``encoder.`` prefix,
which GFM's loader accepts too) is loaded as it is; the log says which it was.

The window is 8 (GFM's own fine-tuning configs, ``configs/UCM.yaml``, and it divides the
512-px grids 128, 64, 32, 16): GFM pretrained with window 6 at 192 px (README:
``simmim_pretrain__swin_base__img192_window6__100ep.yaml``), so the relative position bias
tables are resized on loading (timm, bicubic; GFM's own fine-tuning interpolates them on a
geometric progression), which the log says. ``arch_options=dict(window_size=6)`` keeps the
pretraining window instead (windows then padded at 512 px).
"""
import re

from .baseline_backbone import (CheckpointFormat, register_baseline_arch,
                                register_checkpoint_format)

GFM_WINDOW = 8

register_checkpoint_format('simmim', CheckpointFormat(
    'GFM (SimMIM)', 'decoder, projector, teacher and mask token',
    'encoder.* kept; decoder.*, projector.*, teacher.*, encoder.mask_token dropped',
    re.compile(r'^mask_token$'), 'encoder.', 'layers.0.blocks.0.attn.qkv.weight'))
register_baseline_arch(
    'gfm-swin-b', timm_name='swin_base_patch4_window7_224', family='swin',
    channels=(128, 256, 512, 1024), checkpoint_format='simmim',
    options=dict(window_size=GFM_WINDOW))
# Small variant (no released weights) for CPU tests; same code paths and key layout.
register_baseline_arch(
    'gfm-tiny', timm_name='swin_base_patch4_window7_224', family='swin',
    channels=(32, 64, 128, 256), checkpoint_format='simmim',
    options=dict(window_size=GFM_WINDOW),
    timm_kwargs=dict(embed_dim=32, depths=(1, 1, 1, 1), num_heads=(1, 2, 4, 8)))
