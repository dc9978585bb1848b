"""Scale-MAE (Reed et al., ICCV 2023; bair-climate-initiative/scale-mae): a ViT-L/16 whose
position encoding is a 2-D sin-cos of the patch positions scaled by the input's ground
sample distance (GSD), computed at every forward instead of a learned table.

Our own code on timm's VisionTransformer (the encoder of Scale-MAE's ``models_mae.py`` /
``models_vit.py`` is a timm ViT with timm ``Block`` keys): only the position encoding
differs. It loads the authors' pretraining checkpoint (``{'model': MaskedAutoencoderViT
state dict}``) with its decoder (``decoder_*``, ``mask_token*``, ``fpn.*``, ``fcn*``) and
its fixed 224-px ``pos_embed`` table dropped (the encoding is recomputed from the GSD).
"""
import re

import torch
from timm.models.vision_transformer import VisionTransformer

from .baseline_backbone import (CheckpointFormat, register_baseline_arch,
                                register_checkpoint_format)

# Scale-MAE's evaluation with its GSD embedding on (``--eval_gsd``, the default of its KNN
# evaluation main_eval.py; engine_finetune.evaluate): input_res = eval_base_resolution (1.0)
# * eval_reference_resolution (224) / eval_scale (the input side in pixels), "GSD relative
# embedding with base 224x224". Its README's fine-tuning command leaves --eval_gsd off:
# input_res = eval_base_resolution = 1.0 (``input_res=1.0`` here).
DEFAULT_OPTIONS = dict(base_resolution=1.0, reference_size=224, input_res=None)


def gsd_sincos_pos_embed(dim, height, width, res, device=None, dtype=torch.float32):
    """Scale-MAE's ``get_2d_sincos_pos_embed_with_resolution`` for one resolution and any
    grid: the MAE 2-D sin-cos encoding of the patch positions multiplied by ``res``.

    The first ``dim / 2`` channels encode the column (x) position, the last ``dim / 2`` the
    row (y) position, each as ``[sin(p * w_k), cos(p * w_k)]`` with ``w_k = 10000 **
    (-k / (dim / 4))``, as the authors' code (whose ``meshgrid(..., indexing='xy')`` puts x
    first). Returns ``(height * width, dim)`` in row-major token order.
    """
    if dim % 4:
        raise ValueError(f'Scale-MAE position encoding needs a width divisible by 4, got {dim}')
    rows = torch.arange(height, dtype=torch.float32, device=device) * res
    cols = torch.arange(width, dtype=torch.float32, device=device) * res
    y, x = torch.meshgrid(rows, cols, indexing='ij')
    omega = torch.arange(dim // 4, dtype=torch.float32, device=device) / (dim / 4.0)
    omega = 1.0 / 10000 ** omega

    def encode(pos):
        out = pos.reshape(-1, 1) * omega
        return torch.cat([out.sin(), out.cos()], dim=1)

    return torch.cat([encode(x), encode(y)], dim=1).to(dtype)


class ScaleMAEViT(VisionTransformer):
    """timm's VisionTransformer with Scale-MAE's GSD-scaled position encoding (no learned
    ``pos_embed``); the class token gets a zero encoding, as the authors'.

    Args:
        base_resolution (float): The input's GSD relative to the pretraining reference
            (Scale-MAE's ``eval_base_resolution``). Defaults to 1.0.
        reference_size (int): The side (pixels) at which ``base_resolution`` holds
            (``eval_reference_resolution``). ``input_res = base_resolution *
            reference_size / side``, ``side`` the input's longer side. Defaults to 224.
        input_res (float, optional): A fixed ``input_res`` instead (positions are
            multiplied by it whatever the input size). Defaults to None.
        **kwargs: timm VisionTransformer arguments.
    """

    def __init__(self, base_resolution=1.0, reference_size=224, input_res=None, **kwargs):
        for name, value in (('base_resolution', base_resolution),
                            ('reference_size', reference_size), ('input_res', input_res)):
            if value is not None and not value > 0:
                raise ValueError(f'Scale-MAE arch_options.{name} must be positive, got {value!r}')
        kwargs.update(pos_embed='none', dynamic_img_size=True)
        super().__init__(**kwargs)
        self.base_resolution = float(base_resolution)
        self.reference_size = float(reference_size)
        self.input_res = None if input_res is None else float(input_res)

    def resolution(self, height, width):
        """``input_res`` for an input grid of ``height x width`` patches."""
        if self.input_res is not None:
            return self.input_res
        side = max(height, width) * self.patch_embed.patch_size[0]
        return self.base_resolution * self.reference_size / side

    def _pos_embed(self, x):
        batch, height, width, dim = x.shape
        pos = gsd_sincos_pos_embed(dim, height, width, self.resolution(height, width),
                                   device=x.device, dtype=x.dtype)
        x = x.reshape(batch, height * width, dim) + pos
        x = torch.cat([self.cls_token.expand(batch, -1, -1), x], dim=1)
        return self.pos_drop(x)


def scalemae_checkpoint_filter(state_dict, model, log):
    """Drop the pretraining checkpoint's fixed sin-cos ``pos_embed`` (the pretraining grid,
    not used by the encoder, which recomputes its encoding from the GSD)."""
    if 'pos_embed' in state_dict:
        state_dict = dict(state_dict)
        shape = tuple(state_dict.pop('pos_embed').shape)
        res = (model.input_res if model.input_res is not None else
               f'= {model.base_resolution:g} * {model.reference_size:g} / input side')
        log(f'fixed sin-cos pos_embed {shape} dropped: Scale-MAE computes its GSD-scaled '
            f'encoding at every forward (input_res {res})')
    return state_dict


register_checkpoint_format('scalemae', CheckpointFormat(
    'Scale-MAE', 'MAE decoder', 'decoder_*, mask_token*, fpn.*, fcn*',
    re.compile(r'^(decoder_|mask_token|fpn\.|fcn(_high|_low)?\.)'), None))
# The encoder of Scale-MAE's mae_vit_large_patch16 (patch 16, 1024 wide, 24 blocks of 16
# heads, MLP ratio 4, qkv bias, LayerNorm eps 1e-6: timm's ViT defaults).
_SPEC = dict(family='vit', builder=ScaleMAEViT, checkpoint_format='scalemae',
             options=DEFAULT_OPTIONS, checkpoint_filter=scalemae_checkpoint_filter)
register_baseline_arch('scalemae-vit-l16', dim=1024, **_SPEC, timm_kwargs=dict(
    patch_size=16, embed_dim=1024, depth=24, num_heads=16))
# Small variant (no released weights) for CPU tests; same code paths and key layout.
register_baseline_arch('scalemae-tiny', dim=32, **_SPEC, timm_kwargs=dict(
    patch_size=16, embed_dim=32, depth=2, num_heads=2))
