"""MaRS SwinV2 encoder (one modality) as an mmseg / mmdet backbone."""
import timm
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.runner.checkpoint import CheckpointLoader

from mars.registry import register_downstream
from mars.utils.mars_checkpoint import adapt_in_channels, to_released_form

# The timm models MaRS was released on, created at the 512x512 pretraining size.
MARS_ARCHS = {
    'base': dict(timm_name='swinv2_base_window8_256', channels=(128, 256, 512, 1024)),
    'large': dict(
        timm_name='swinv2_large_window12to16_192to256', channels=(192, 384, 768, 1536)),
    # A small SwinV2 (about 2.3 M parameters per encoder, against about 87 M for MaRS-B) for
    # CPU tests and the demo; no released weights.
    'tiny': dict(
        timm_name='swinv2_tiny_window8_256', channels=(32, 64, 128, 256),
        timm_kwargs=dict(embed_dim=32, depths=(2, 2, 2, 2), num_heads=(1, 2, 4, 8))),
}
PRETRAIN_IMG_SIZE = 512
SIZE_DIVISOR = 32


def arch_channels(arch, out_indices=(0, 1, 2, 3)):
    """Channels of the outputs ``out_indices`` of ``arch``, for configs to read."""
    if arch not in MARS_ARCHS:
        raise KeyError(f'unknown MaRS arch {arch!r}; expected one of {sorted(MARS_ARCHS)}')
    return [MARS_ARCHS[arch]['channels'][i] for i in out_indices]


@register_downstream('MODELS')
class MaRSBackbone(BaseModule):
    """One MaRS SwinV2 encoder (RGB or SAR) returning NCHW multi-scale features.

    Wraps timm's SwinV2 ``features_only`` model, created at the 512x512 pretraining size
    with dynamic attention masks, so inputs of any height and width that are multiples of
    32 work (256 tiles, 800 detection images, 1024 scenes, sliding windows).

    Args:
        arch (str): ``'base'`` (swinv2_base_window8_256), ``'large'``
            (swinv2_large_window12to16_192to256) or ``'tiny'`` (tests). Defaults to 'base'.
        in_channels (int): Input channels: 3 for RGB, 1 for SAR. Defaults to 3.
        out_indices (Sequence[int]): Stages whose outputs are returned. Defaults to
            (0, 1, 2, 3).
        frozen_stages (int): Stages to freeze (eval mode, no gradients): -1 none, 0 the
            patch embedding, k the patch embedding and stages 0..k-1. Defaults to -1.
        drop_path_rate (float): Stochastic depth rate. Defaults to 0.1.
        with_cp (bool): Gradient checkpointing of the Swin blocks. Defaults to False.
        modality (str): Which encoder to take from a raw pretraining checkpoint
            (``encoder_<modality>.encoder.``). Defaults to 'rgb'.
        pretrained (str, optional): Checkpoint path; shorthand for
            ``init_cfg=dict(type='Pretrained', checkpoint=pretrained)``. Defaults to None.
        init_cfg (dict, optional): mmengine init config. ``type='Pretrained'`` loads any
            MaRS checkpoint form (see :mod:`mars.utils.mars_checkpoint`). Defaults to None.

    Attributes:
        out_channels (list[int]): Channels of each returned feature map.
    """

    def __init__(self,
                 arch='base',
                 in_channels=3,
                 out_indices=(0, 1, 2, 3),
                 frozen_stages=-1,
                 drop_path_rate=0.1,
                 with_cp=False,
                 modality='rgb',
                 pretrained=None,
                 init_cfg=None):
        if pretrained is not None:
            if init_cfg is not None:
                raise ValueError('give either `pretrained` or `init_cfg`, not both')
            init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        super().__init__(init_cfg=init_cfg)
        self.out_channels = arch_channels(arch, out_indices)
        self.arch = arch
        self.in_channels = in_channels
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.modality = modality

        spec = MARS_ARCHS[arch]
        self.encoder = timm.create_model(
            spec['timm_name'],
            pretrained=False,
            features_only=True,
            out_indices=self.out_indices,
            in_chans=in_channels,
            img_size=PRETRAIN_IMG_SIZE,
            strict_img_size=False,
            drop_path_rate=drop_path_rate,
            **spec.get('timm_kwargs', {}))
        if with_cp:
            # Per Swin block (the stages' own switch), not per stage as FeatureListNet's
            # would: the 18-block third stage would otherwise be recomputed in one piece.
            for stage in self._stages():
                stage.grad_checkpointing = True
        self._freeze_stages()

    def forward(self, x):
        height, width = x.shape[-2:]
        if height % SIZE_DIVISOR or width % SIZE_DIVISOR:
            raise ValueError(f'MaRSBackbone needs height and width divisible by '
                             f'{SIZE_DIVISOR}, got {height}x{width}; pad or crop the input '
                             f'(e.g. size_divisor={SIZE_DIVISOR} in the data preprocessor)')
        return tuple(f.permute(0, 3, 1, 2).contiguous() for f in self.encoder(x))

    def _stages(self):
        # features_only drops the stages after the last of out_indices.
        return [m for name, m in self.encoder.named_children() if name.startswith('layers_')]

    def _frozen_modules(self):
        if self.frozen_stages < 0:
            return []
        return [self.encoder.patch_embed] + self._stages()[:self.frozen_stages]

    def _freeze_stages(self):
        for module in self._frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode=True):
        super().train(mode)
        self._freeze_stages()
        return self

    def init_weights(self):
        if self.init_cfg is None or self.init_cfg.get('type') != 'Pretrained':
            return super().init_weights()
        filename = self.init_cfg['checkpoint']
        checkpoint = CheckpointLoader.load_checkpoint(filename, map_location='cpu')
        self.load_mars_state_dict(to_released_form(checkpoint, self.modality), filename)

    def load_mars_state_dict(self, state_dict, source='state dict', to_one='mean'):
        """Load an encoder state dict in released form, with checks and a report.

        Args:
            state_dict (dict): Keys as in the released files (``layers_N.``).
            source (str): Where it came from, for messages.
            to_one (str): 3 -> 1 patch-embedding rule, see :func:`adapt_in_channels`.

        Raises:
            ValueError: a tensor's shape differs from the model's (other than the
                patch embedding's input channels, which are adapted and logged), or no
                tensor matches an encoder weight.
        """
        own = self.encoder.state_dict()
        state_dict = dict(state_dict)
        embed_key = 'patch_embed.proj.weight'
        if embed_key in state_dict and embed_key in own and \
                state_dict[embed_key].shape[1] != own[embed_key].shape[1]:
            state_dict[embed_key], rule = adapt_in_channels(
                state_dict[embed_key], self.in_channels, to_one)
            print_log(f'{source}: in_channels adapted for {embed_key}: {rule}',
                      logger='current', level=30)
        for key, value in state_dict.items():
            if key in own and own[key].shape != value.shape:
                raise ValueError(
                    f'{source}: shape mismatch for {key}: checkpoint {tuple(value.shape)}, '
                    f'model {tuple(own[key].shape)} (arch={self.arch!r}); is the arch right?')
        if not any(key in own for key in state_dict):
            # Nothing would load: a wrong file must not train silently from random weights.
            raise ValueError(f'{source}: none of its {len(state_dict)} tensors is a MaRS '
                             f'encoder weight (first keys: {sorted(state_dict)[:3]})')
        result = self.encoder.load_state_dict(state_dict, strict=False)
        print_log(f'MaRSBackbone ({self.arch}, {self.modality}) loaded {source}: '
                  f'{len(state_dict) - len(result.unexpected_keys)} tensors, '
                  f'missing keys: {result.missing_keys or "none"}, '
                  f'unexpected keys: {result.unexpected_keys or "none"}',
                  logger='current', level=30 if result.missing_keys else 20)
        return result
