"""The backbones the MaRS paper compares with, built by timm and loading their authors'
released checkpoint formats: ResNet-50, ViT-B/16 and Swin-B / SwinV2-B (ImageNet), SatMAE
(ViT-L/16, fMoW RGB); other modules of this package register more archs and released
pretraining layouts (``register_baseline_arch``, ``register_checkpoint_format``): Scale-MAE
(``scalemae.py``, its own ViT class on timm's), CrossMAE (``crossmae.py``), GFM
(``gfm.py``).

timm builds every model (it is what the MaRS authors' ``rsfm.py`` used, and its
``checkpoint_filter_fn`` of each model family already converts the released layouts:
Microsoft's Swin files, pos-embedding resampling). Features come from timm's
``forward_intermediates``; plain ViTs reach strides 4-32 through
:class:`SimpleFeaturePyramid`.
"""
import re
import sys
from collections import namedtuple

import timm
import torch
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.runner.checkpoint import CheckpointLoader
from timm.models._manipulate import adapt_input_conv

from mars.registry import register_downstream
from mars.utils.mars_checkpoint import read_state_dict
from .simple_pyramid import SimpleFeaturePyramid

# family 'cnn' / 'swin': four stages of timm's forward_intermediates (`indices`); 'vit':
# the last block's map (stride 16) and a simple feature pyramid. `checkpoint_format` is
# the default layout of the released weights (see BaselineBackbone). Models timm does not
# build register themselves from their own modules (register_baseline_arch) with
# `builder` (a callable taking timm's create_model keyword arguments, returning a timm-style
# model: forward_intermediates, prune_intermediate_layers, set_grad_checkpointing),
# optionally `options` (the defaults of the extra builder arguments a config may set
# through BaselineBackbone's `arch_options`) and `checkpoint_filter` (a callable
# ``(state_dict, model, log) -> state_dict`` converting the released layout; default: the
# `checkpoint_filter_fn` of the model's timm module).
BASELINE_ARCHS = {
    'resnet50': dict(
        timm_name='resnet50', family='cnn', channels=(256, 512, 1024, 2048),
        indices=(1, 2, 3, 4), embed_key='conv1.weight'),
    'vit-b16': dict(timm_name='vit_base_patch16_224', family='vit', dim=768),
    'satmae-vit-l16': dict(
        timm_name='vit_large_patch16_224', family='vit', dim=1024, checkpoint_format='satmae'),
    'swin-b': dict(
        timm_name='swin_base_patch4_window7_224', family='swin',
        channels=(128, 256, 512, 1024)),
    'swinv2-b': dict(
        timm_name='swinv2_base_window8_256', family='swin', channels=(128, 256, 512, 1024)),
    # Small variants (no released weights) for CPU tests; same code paths and key layouts.
    'resnet-tiny': dict(
        timm_name='resnet18', family='cnn', channels=(64, 128, 256, 512),
        indices=(1, 2, 3, 4), embed_key='conv1.weight', timm_kwargs=dict(layers=(1, 1, 1, 1))),
    'vit-tiny': dict(
        timm_name='vit_base_patch16_224', family='vit', dim=32,
        timm_kwargs=dict(embed_dim=32, depth=2, num_heads=2)),
    'swin-tiny': dict(
        timm_name='swin_base_patch4_window7_224', family='swin', channels=(32, 64, 128, 256),
        timm_kwargs=dict(embed_dim=32, depths=(1, 1, 1, 1), num_heads=(1, 2, 4, 8))),
    'swinv2-tiny': dict(
        timm_name='swinv2_base_window8_256', family='swin', channels=(32, 64, 128, 256),
        timm_kwargs=dict(embed_dim=32, depths=(1, 1, 1, 1), num_heads=(1, 2, 4, 8))),
}
# A released pretraining layout: `prefix` (the encoder's keys, e.g. 'encoder.'; the others
# dropped) and / or `drop` (a regex of pretraining-only keys, e.g. an MAE decoder, dropped);
# a file with neither is refused (`owner`'s `part` is what these keys are, `keys` how they
# look), unless `encoder_only` (a key of the encoder: a file without `prefix` keys but with
# this key is taken as the encoder alone, said in the log). None: the file is loaded as it
# is (timm / torchvision / Microsoft Swin layouts).
CheckpointFormat = namedtuple('CheckpointFormat', 'owner part keys drop prefix encoder_only',
                              defaults=(None, ))
CHECKPOINT_FORMATS = {
    'timm': None,
    'satmae': CheckpointFormat('SatMAE', 'MAE decoder', 'decoder_*, mask_token',
                               re.compile(r'^(decoder_|mask_token$)'), None),
}
FEATURE_PYRAMIDS = ('simple', 'last')
# ViT / Swin models are created at the 512x512 size of the MaRS downstream tasks (as the
# authors' rsfm.py); ViT position embeddings are then resampled to each input's grid.
CREATE_IMG_SIZE = 512
VIT_DIVISOR = 32
# Checkpoint parts the feature extractor does not have: classifier heads and final norms
# (timm's prune_intermediate_layers removes them).
_CLASSIFIER = re.compile(r'^(head|fc|fc_norm|norm|head_drop|global_pool)\.')


def register_baseline_arch(name, **spec):
    """Add an arch to ``BASELINE_ARCHS`` (see the comment there); a name is taken once."""
    if name in BASELINE_ARCHS:
        raise KeyError(f'baseline arch {name!r} is registered already')
    if 'builder' not in spec and 'timm_name' not in spec:
        raise KeyError(f'baseline arch {name!r}: give `timm_name` or `builder`')
    BASELINE_ARCHS[name] = spec


def register_checkpoint_format(name, fmt):
    """Add a released layout (a :class:`CheckpointFormat`) to ``CHECKPOINT_FORMATS``."""
    if name in CHECKPOINT_FORMATS:
        raise KeyError(f'checkpoint format {name!r} is registered already')
    CHECKPOINT_FORMATS[name] = fmt


IN_CHANNELS_RULES = ('timm', 'mean')


def adapt_patch_embed(weight, in_channels, rule='timm'):
    """Adapt a first-layer weight ``[out, 3, k, k]`` to ``in_channels`` inputs.

    ``'timm'``: timm's ``in_chans`` rule (1 channel: the sum of the filters; more: the
    filters repeated cyclically, scaled by ``3 / in_channels``). ``'mean'``: the MaRS
    authors' terratorch backbones (1 channel: the mean of the filters; more than 3: the RGB
    filters kept and each extra channel given their mean).
    """
    if rule == 'timm':
        return adapt_input_conv(in_channels, weight)
    mean = weight.mean(dim=1, keepdim=True)
    if in_channels == 1:
        return mean
    if in_channels < weight.shape[1]:
        raise ValueError(f"in_channels_rule='mean' adapts 1 or more than "
                         f'{weight.shape[1]} channels, got {in_channels}')
    return torch.cat([weight] + [mean] * (in_channels - weight.shape[1]), dim=1)


def _arch(arch):
    if arch not in BASELINE_ARCHS:
        raise KeyError(f'unknown baseline arch {arch!r}; expected one of '
                       f'{sorted(BASELINE_ARCHS)}')
    return BASELINE_ARCHS[arch]


def baseline_channels(arch, feature_pyramid='simple'):
    """Channels of the maps :class:`BaselineBackbone` returns for ``arch``."""
    spec = _arch(arch)
    if spec['family'] != 'vit':
        return list(spec['channels'])
    dim = spec['dim']
    return [dim // 4, dim // 2, dim, dim] if feature_pyramid == 'simple' else [dim]


def read_checkpoint(filename):
    """A checkpoint from a ``.safetensors`` file or (safely, through mmengine) any other."""
    if str(filename).endswith('.safetensors'):
        return read_state_dict(filename)
    return CheckpointLoader.load_checkpoint(filename, map_location='cpu')


def unwrap_state_dict(checkpoint):
    # mmengine ({'state_dict'}), Microsoft Swin / MAE-style ({'model'}) or plain.
    for key in ('state_dict', 'model'):
        if isinstance(checkpoint.get(key), dict):
            return dict(checkpoint[key])
    return dict(checkpoint)


def load_checked_weights(model, state_dict, source, arch, what, log):
    """Load ``state_dict`` (in ``model``'s names) non-strictly after refusing any shape
    difference and a file that matches nothing; ``log`` the counts and any missing or
    unexpected key.

    Args:
        model (nn.Module): The network.
        state_dict (dict): Its tensors, already renamed and filtered.
        source (str): The file, for messages.
        arch (str): The arch, for messages.
        what (str): What the file should be (``'timm format'``...), for messages.
        log (callable): ``log(message, level)``.

    Returns:
        The ``load_state_dict`` result.
    """
    own = model.state_dict()
    for key, value in state_dict.items():
        if key in own and own[key].shape != value.shape:
            raise ValueError(
                f'{source}: shape mismatch for {key}: checkpoint {tuple(value.shape)}, '
                f'model {tuple(own[key].shape)} (arch={arch!r}); is the arch right?')
    if not any(key in own for key in state_dict):
        raise ValueError(f'{source}: none of its {len(state_dict)} tensors is a weight of '
                         f'{arch} (first keys: {sorted(state_dict)[:3]}); is it {what}?')
    result = model.load_state_dict(state_dict, strict=False)
    log(f'loaded {source} ({what}): {len(state_dict) - len(result.unexpected_keys)} '
        f'tensors, missing keys: {result.missing_keys or "none"}, '
        f'unexpected keys: {result.unexpected_keys or "none"}',
        level=30 if result.missing_keys or result.unexpected_keys else 20)
    return result


@register_downstream('MODELS')
class BaselineBackbone(BaseModule):
    """A comparison backbone of the MaRS paper, returning NCHW multi-scale features.

    Archs (``BASELINE_ARCHS``): ``resnet50`` (strides 4-32), ``vit-b16`` and
    ``satmae-vit-l16`` (plain ViTs: the last block's stride-16 map, position embeddings
    resampled to the input's grid at every forward, and a ViTDet simple feature pyramid
    for strides 4, 8, 16, 32), ``swin-b`` and ``swinv2-b`` (strides 4-32); those the
    other modules register (``scalemae-vit-l16``, ``crossmae-vit-b16``: plain ViTs;
    ``gfm-swin-b``: strides 4-32); ``*-tiny`` variants for tests.

    Checkpoints (``pretrained`` / ``init_cfg=dict(type='Pretrained', checkpoint=...)``):

    * ``checkpoint_format='timm'``: timm / torchvision state dicts (``.pth`` or
      ``.safetensors``, plain or under ``state_dict`` / ``model``), and Microsoft's Swin
      release (converted by timm's ``checkpoint_filter_fn``). torchvision's ResNet-50 has
      timm's key names.
    * ``checkpoint_format='satmae'``: SatMAE's pretraining checkpoint (``{'model': ...}``
      of its ``MaskedAutoencoderViT``): the encoder keys are timm ViT keys; the MAE decoder
      (``decoder_*``, ``mask_token``) is dropped and said in the log.
    * the formats other modules register (``CHECKPOINT_FORMATS``: ``scalemae``,
      ``crossmae``, ``simmim``): a pretraining checkpoint whose encoder is taken (a key
      prefix and / or pretraining-only keys dropped, counted in the log).

    Classifier heads and final norms in the file are dropped (logged); the patch
    embedding's input channels are adapted with timm's rule, as the authors' ``timm
    in_chans`` did (1 channel: the sum of the RGB filters; 4 channels: the RGB filters
    repeated R, G, B, R and scaled by 3/4), logged; any other shape difference is refused,
    naming the key.

    Args:
        arch (str): Key of ``BASELINE_ARCHS``. Defaults to 'resnet50'.
        in_channels (int): Input channels (3 RGB, 1 SAR, 4 RGB + SAR). Defaults to 3.
        in_channels_rule (str): How the released 3-channel patch embedding is adapted
            to other channel counts: ``'timm'`` (the authors' ``rsfm.py`` timm models) or
            ``'mean'`` (their terratorch ResNet-50 / GFM backbones); see
            :func:`adapt_patch_embed`. Defaults to 'timm'.
        feature_pyramid (str): Plain ViTs only: ``'simple'`` (four levels) or ``'last'``
            (the stride-16 map alone, as the authors' ``rsfm.py``). Defaults to 'simple'.
        checkpoint_format (str, optional): A key of ``CHECKPOINT_FORMATS`` (``'timm'``,
            ``'satmae'``, and those the other baseline modules register); None takes the
            arch's (``satmae`` for ``satmae-vit-l16``, else ``timm``). Defaults to None.
        arch_options (dict, optional): Archs built by their own module: settings of the
            model (the arch's ``options``, e.g. Scale-MAE's GSD); refused for other
            archs. Defaults to None.
        drop_path_rate (float): Stochastic depth rate. Defaults to 0.1.
        with_cp (bool): timm's gradient checkpointing. Defaults to False.
        pretrained (str, optional): Shorthand for ``init_cfg=dict(type='Pretrained',
            checkpoint=pretrained)``. Defaults to None.
        init_cfg (dict, optional): mmengine init config. Defaults to None.

    Attributes:
        out_channels (list[int]): Channels of each returned map.
    """

    def __init__(self,
                 arch='resnet50',
                 in_channels=3,
                 in_channels_rule='timm',
                 feature_pyramid='simple',
                 checkpoint_format=None,
                 arch_options=None,
                 drop_path_rate=0.1,
                 with_cp=False,
                 pretrained=None,
                 init_cfg=None):
        if pretrained is not None:
            if init_cfg is not None:
                raise ValueError('give either `pretrained` or `init_cfg`, not both')
            init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        super().__init__(init_cfg=init_cfg)
        spec = _arch(arch)
        if feature_pyramid not in FEATURE_PYRAMIDS:
            raise ValueError(f'feature_pyramid must be one of {FEATURE_PYRAMIDS}, got '
                             f'{feature_pyramid!r}')
        if in_channels_rule not in IN_CHANNELS_RULES:
            raise ValueError(f'in_channels_rule must be one of {IN_CHANNELS_RULES}, got '
                             f'{in_channels_rule!r}')
        self.in_channels_rule = in_channels_rule
        checkpoint_format = checkpoint_format or spec.get('checkpoint_format', 'timm')
        if checkpoint_format not in CHECKPOINT_FORMATS:
            raise ValueError(f'checkpoint_format must be one of {sorted(CHECKPOINT_FORMATS)}, '
                             f'got {checkpoint_format!r}')
        options = dict(spec.get('options', {}))
        unknown = sorted(set(arch_options or {}) - set(options))
        if unknown:
            raise KeyError(f'arch_options {unknown} are not settings of {arch!r}; it takes '
                           f'{sorted(options) or "none"}')
        options.update(arch_options or {})
        self.arch = arch
        self.family = spec['family']
        self.in_channels = in_channels
        self.feature_pyramid = feature_pyramid
        self.checkpoint_format = checkpoint_format
        self.out_channels = baseline_channels(arch, feature_pyramid)

        kwargs = dict(spec.get('timm_kwargs', {}))
        if self.family == 'vit':
            kwargs.update(img_size=CREATE_IMG_SIZE, dynamic_img_size=True)
        elif self.family == 'swin':
            kwargs.update(img_size=CREATE_IMG_SIZE, strict_img_size=False)
        kwargs.update(options)
        if 'builder' in spec:
            self.model = spec['builder'](
                in_chans=in_channels, drop_path_rate=drop_path_rate, **kwargs)
        else:
            self.model = timm.create_model(
                spec['timm_name'], pretrained=False, in_chans=in_channels,
                drop_path_rate=drop_path_rate, **kwargs)
        self.checkpoint_filter = spec.get('checkpoint_filter')
        indices = spec.get('indices', (0, 1, 2, 3))
        if self.family == 'vit':
            indices = (len(self.model.blocks) - 1, )
        self.indices = list(indices)
        # Removes the classifier, the final norm and unused blocks.
        self.model.prune_intermediate_layers(self.indices, prune_norm=True, prune_head=True)
        self.embed_key = spec.get('embed_key', 'patch_embed.proj.weight')
        if with_cp:
            self.model.set_grad_checkpointing(True)
        self.pyramid = (SimpleFeaturePyramid(spec['dim'])
                        if self.family == 'vit' and feature_pyramid == 'simple' else None)

    def forward(self, x):
        if self.family == 'vit':
            height, width = x.shape[-2:]
            if height % VIT_DIVISOR or width % VIT_DIVISOR:
                raise ValueError(
                    f'BaselineBackbone ({self.arch}) needs height and width divisible by '
                    f'{VIT_DIVISOR}, got {height}x{width}; pad or crop the input (e.g. '
                    f'size_divisor={VIT_DIVISOR} in the data preprocessor)')
        feats = self.model.forward_intermediates(
            x, indices=self.indices, intermediates_only=True, output_fmt='NCHW')
        if self.family != 'vit':
            return tuple(feats)
        return self.pyramid(feats[-1]) if self.pyramid is not None else (feats[-1], )

    def init_weights(self):
        if self.init_cfg is None or self.init_cfg.get('type') != 'Pretrained':
            return super().init_weights()
        filename = self.init_cfg['checkpoint']
        self.load_baseline_state_dict(read_checkpoint(filename), filename)

    def _log(self, message, level=20):
        print_log(f'BaselineBackbone ({self.arch}): {message}', logger='current',
                  level=level)

    def load_baseline_state_dict(self, checkpoint, source='state dict'):
        """Load a checkpoint in the arch's released format, with checks and a report.

        Returns:
            The ``load_state_dict`` result (missing and unexpected keys).

        Raises:
            ValueError: a tensor's shape differs from the model's (beyond the adapted
                input channels), or no tensor matches a weight of the model.
        """
        state_dict = unwrap_state_dict(checkpoint)
        fmt = CHECKPOINT_FORMATS[self.checkpoint_format]
        if fmt is not None:
            state_dict = self._pretraining_encoder(state_dict, fmt, source)
        own = self.model.state_dict()
        embed = state_dict.get(self.embed_key)
        if embed is not None and embed.dim() == 4 and \
                embed.shape[1] != own[self.embed_key].shape[1]:
            state_dict[self.embed_key] = adapt_patch_embed(embed, self.in_channels,
                                                           self.in_channels_rule)
            if self.in_channels_rule == 'mean':
                rule = ('mean of the input filters' if self.in_channels == 1 else
                        'input filters kept, each extra channel their mean')
                rule += "; in_channels_rule='mean', the authors' terratorch backbones"
            else:
                rule = ('sum of the input filters' if self.in_channels == 1 else
                        'input filters repeated cyclically and scaled by '
                        f'{embed.shape[1]}/{self.in_channels}')
                rule += "; timm's in_chans rule, as the authors' rsfm.py"
            self._log(f'{source}: {self.embed_key} adapted from {embed.shape[1]} to '
                      f'{self.in_channels} input channels ({rule})', level=30)
        if self.checkpoint_filter is not None:
            state_dict = self.checkpoint_filter(
                state_dict, self.model, lambda message: self._log(f'{source}: {message}'))
        filter_fn = getattr(sys.modules[type(self.model).__module__], 'checkpoint_filter_fn',
                            None)
        if filter_fn is not None and self.checkpoint_filter is None:
            before = {k: tuple(v.shape) for k, v in state_dict.items()}
            state_dict = filter_fn(state_dict, self.model)
            for key in sorted(before):
                if key.endswith('relative_position_bias_table') and key in state_dict and \
                        before[key] != tuple(state_dict[key].shape):
                    self._log(f'{source}: relative position bias tables resized to the '
                              f"model's window (e.g. {key}: {before[key]} -> "
                              f'{tuple(state_dict[key].shape)})')
                    break
            if 'pos_embed' in before and 'pos_embed' in state_dict and before['pos_embed'] != \
                    tuple(state_dict['pos_embed'].shape):
                self._log(f'{source}: pos_embed resampled from {before["pos_embed"]} to '
                          f'{tuple(state_dict["pos_embed"].shape)} (the {CREATE_IMG_SIZE} '
                          f'px grid; each input is resampled again at forward)')
        dropped = sorted(k for k in state_dict if k not in own and _CLASSIFIER.match(k))
        if dropped:
            state_dict = {k: v for k, v in state_dict.items() if k not in dropped}
            self._log(f'{source}: classifier / final norm dropped, not used for features: '
                      f'{dropped}')
        return load_checked_weights(self.model, state_dict, source, self.arch,
                                    f'{self.checkpoint_format} format', self._log)

    def _pretraining_encoder(self, state_dict, fmt, source):
        """The encoder's tensors of a pretraining checkpoint in layout ``fmt``."""
        hint = (f"A fine-tuned {fmt.owner} or a plain timm file needs "
                f"checkpoint_format='timm'")
        dropped = []
        if fmt.prefix and not any(k.startswith(fmt.prefix) for k in state_dict):
            if fmt.encoder_only not in state_dict:
                also = f' nor {fmt.encoder_only}' if fmt.encoder_only else ''
                raise ValueError(f'{source}: no {fmt.prefix}* keys{also}; not a {fmt.owner} '
                                 f'pretraining checkpoint. {hint}')
            self._log(f'{source}: no {fmt.prefix}* keys: an encoder-only {fmt.owner} file, '
                      f'loaded as it is')
        elif fmt.prefix:
            dropped = sorted(k for k in state_dict if not k.startswith(fmt.prefix))
            state_dict = {k[len(fmt.prefix):]: v for k, v in state_dict.items()
                          if k.startswith(fmt.prefix)}
        if fmt.drop is not None:
            pretraining = sorted(k for k in state_dict if fmt.drop.match(k))
            if not pretraining and not fmt.prefix:
                raise ValueError(f'{source}: no {fmt.part} keys ({fmt.keys}); not a '
                                 f'{fmt.owner} pretraining checkpoint. {hint}')
            state_dict = {k: v for k, v in state_dict.items() if k not in pretraining}
            dropped += pretraining
        self._log(f'{source}: {fmt.owner} {fmt.part} dropped ({len(dropped)} tensors)')
        return state_dict
