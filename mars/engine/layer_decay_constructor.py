"""Layer-wise learning-rate decay for MaRS SwinV2 encoders."""
import re
from collections import defaultdict

from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor

from mars.registry import OPTIM_WRAPPER_CONSTRUCTORS, register_downstream

# Parameter names of a timm features_only SwinV2 (the MaRS encoder layout), wherever the
# encoder sits in the model (backbone.encoder., backbone.encoders.rgb.encoder., ...).
_PATCH_EMBED = re.compile(r'(?:^|\.)patch_embed\.')
_BLOCK = re.compile(r'(?:^|\.)layers_(\d+)\.blocks\.(\d+)\.')
_DOWNSAMPLE = re.compile(r'(?:^|\.)layers_(\d+)\.downsample\.')
# SwinV2 parameters that are not weights of a linear map: no weight decay, as in SwinV2.
NO_DECAY_KEYWORDS = ('logit_scale', 'cpb_mlp', 'relative_position_bias_table',
                     'absolute_pos_embed', 'mask_token')


def stage_depths(param_names):
    """Blocks per Swin stage, read off parameter names (``layers_i.blocks.j.``)."""
    depths = defaultdict(int)
    for name in param_names:
        match = _BLOCK.search(name)
        if match:
            stage, block = int(match.group(1)), int(match.group(2))
            depths[stage] = max(depths[stage], block + 1)
    return [depths[i] for i in range(max(depths) + 1)] if depths else []


def layer_id(name, depths):
    """Depth of parameter ``name``: 0 patch embedding, 1..N Swin blocks, N+1 the rest.

    A stage's patch merging (timm puts it at the start of the stage) shares the id of
    the block before it.
    """
    num_blocks = sum(depths)
    if _PATCH_EMBED.search(name):
        return 0
    match = _BLOCK.search(name)
    if match:
        stage, block = int(match.group(1)), int(match.group(2))
        return 1 + sum(depths[:stage]) + block
    match = _DOWNSAMPLE.search(name)
    if match:
        return sum(depths[:int(match.group(1))])
    return num_blocks + 1


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
@register_downstream('OPTIM_WRAPPER_CONSTRUCTORS')
class MaRSLayerDecayOptimizerConstructor(DefaultOptimWrapperConstructor):
    """Optimizer constructor with layer-wise learning-rate decay for MaRS encoders.

    A parameter at depth ``i`` (0 = patch embedding, one step per Swin block, heads and
    necks at ``N + 1`` for ``N`` blocks) trains with ``lr * rate ** (N + 1 - i)``. Depths
    are counted from the model's own parameter names, so base (24 blocks), large and
    multi-encoder backbones need no extra settings. Biases, norms and SwinV2's
    ``logit_scale`` / ``cpb_mlp`` get no weight decay.

    Config::

        optim_wrapper = dict(
            type='OptimWrapper',
            optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
            constructor='MaRSLayerDecayOptimizerConstructor',
            paramwise_cfg=dict(layer_decay_rate=0.9))

    Args:
        optim_wrapper_cfg (dict): Optimizer wrapper config.
        paramwise_cfg (dict, optional): ``layer_decay_rate`` (float, default 0.9); no other
            keys are supported.
    """

    def __init__(self, optim_wrapper_cfg, paramwise_cfg=None):
        paramwise_cfg = dict(paramwise_cfg or {})
        unsupported = set(paramwise_cfg) - {'layer_decay_rate'}
        if unsupported:
            raise KeyError(f'MaRSLayerDecayOptimizerConstructor supports only '
                           f'paramwise_cfg.layer_decay_rate, got {sorted(unsupported)}')
        self.layer_decay_rate = paramwise_cfg.setdefault('layer_decay_rate', 0.9)
        # A non-empty paramwise_cfg makes the parent build groups through add_params.
        super().__init__(optim_wrapper_cfg, paramwise_cfg)

    def add_params(self, params, module, prefix='', is_dcn_module=None):
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        depths = stage_depths(n for n, _ in named)
        num_layers = sum(depths) + 1
        groups = {}
        for name, param in named:
            depth = layer_id(name, depths)
            no_decay = param.ndim == 1 or any(k in name for k in NO_DECAY_KEYWORDS)
            key = (depth, no_decay)
            if key not in groups:
                scale = self.layer_decay_rate ** (num_layers - depth)
                groups[key] = dict(
                    params=[], lr=self.base_lr * scale, lr_scale=scale, layer_id=depth)
                if self.base_wd is not None:
                    groups[key]['weight_decay'] = 0. if no_decay else self.base_wd
            groups[key]['params'].append(param)
        ordered = [groups[k] for k in sorted(groups)]
        params.extend(ordered)
        print_log(f'layer-wise lr decay {self.layer_decay_rate} over {num_layers} layers '
                  f'(stage depths {depths}): {len(ordered)} parameter groups, lr scale '
                  f'{ordered[0]["lr_scale"]:.3g} (patch embedding) to 1 (heads)',
                  logger='current')
