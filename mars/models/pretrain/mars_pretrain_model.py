"""The MaRS pretraining model: RGB and SAR SwinV2 encoders with masked image modelling,
Meta-Modality Attention, teacher distillation and cross-granularity contrast."""
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import nn

from mars.models.backbones.mars_backbone import MaRSBackbone, arch_channels
from mars.registry import MODELS

from .meta_modality_attention import MetaModalityAttention

# Input channels of each modality's encoder. The module names ``encoder_<modality>`` (each a
# MaRSBackbone, whose timm model is ``.encoder``) give checkpoint keys
# ``encoder_<modality>.encoder.<timm key>``, the naming of the authors' raw checkpoints.
MODALITY_CHANNELS = dict(rgb=3, sar=1)
ENCODER_STRIDE = 32  # the deepest Swin stage; also the decoders' PixelShuffle factor


def _swin_stages(backbone):
    return [m for name, m in backbone.encoder.named_children() if name.startswith('layers_')]


def freeze_as_buffers(module):
    """Turn every parameter of ``module`` into a buffer of the same name.

    The state dict keys stay the same (the teacher is saved and resumed with the model),
    but the tensors leave ``parameters()``: no optimizer group, no DDP gradient bucket and
    no per-parameter "requires_grad=False" warnings from the optimizer constructor.
    """
    for submodule in module.modules():
        for name, param in list(submodule._parameters.items()):
            if param is not None:
                del submodule._parameters[name]
                submodule.register_buffer(name, param.detach().requires_grad_(False))
    return module


def encode(backbone, img, mask_token=None, mask=None):
    """Deepest-stage NHWC features of a MaRSBackbone, SimMIM masking after the patch embed.

    Args:
        backbone (MaRSBackbone): Encoder (its timm ``features_only`` model is run stage by
            stage so the mask token can go in between).
        img (Tensor): ``[B, C, H, W]``.
        mask_token (Tensor, optional): ``[C_embed]`` learnable token.
        mask (Tensor, optional): ``[B, h, w]`` mask on any grid dividing ``H/4 x W/4``
            (e.g. the 32-pixel mask grid); 1 where the patch embedding is replaced.
    """
    x = backbone.encoder.patch_embed(img)  # [B, H/4, W/4, C] (timm SwinV2 is NHWC)
    if mask is not None:
        weight = F.interpolate(mask[:, None].to(x.dtype), size=x.shape[1:3], mode='nearest')
        weight = weight[:, 0, ..., None]
        x = x * (1 - weight) + mask_token.to(x.dtype) * weight
    for stage in _swin_stages(backbone):
        x = stage(x)
    return x


@MODELS.register_module()
class MaRSPretrainModel(BaseModel):
    """MaRS pretraining (registry scope ``mars``).

    * ``encoder_rgb`` (3 channels) and ``encoder_sar`` (1 channel): :class:`MaRSBackbone`
      SwinV2 encoders. Masked patch embeddings (SimMIM mask at 32 px, applied at the 4 px
      patch grid) are replaced by a learnable token per modality (``mask_token_<m>``).
    * ``teacher_rgb``: a frozen RGB encoder of the same arch (eval mode, no gradient) that
      sees the unmasked RGB image (its parameters are buffers, see
      :func:`freeze_as_buffers`); weights from ``teacher_checkpoint`` (any form
      :class:`MaRSBackbone` loads), else a copy of ``encoder_rgb``'s initial weights.
    * ``mma``: :class:`MetaModalityAttention` over the deepest-stage tokens of both
      encoders; ``decoders[<m>]``: 1x1 conv to ``32^2 * C_m`` channels + PixelShuffle(32).

    Losses (each a config, None switches it off; keys in the loss dict):

    * ``loss_rec_rgb`` / ``loss_rec_sar``: :class:`MaskedL1Loss` of each decoder's output
      against the normalised input, on masked pixels only;
    * ``loss_distill``: :class:`TokenDistillationLoss` between ``encoder_rgb``'s deepest
      tokens (masked input) and the teacher's (full input);
    * ``loss_cgcl``: :class:`CrossGranularityContrastiveLoss` between the deepest RGB and
      SAR encoder tokens (before MMA, so it shapes the released encoders themselves).

    MMA and the decoders exist only when a reconstruction loss is on, so every parameter
    gets a gradient in every step (DDP needs no ``find_unused_parameters``) with the
    published loss set.

    Args:
        arch (str): ``'base'``, ``'large'`` or ``'tiny'`` (see ``MARS_ARCHS``). Defaults to
            'base'.
        drop_path_rate (float): Stochastic depth of the trained encoders. Defaults to 0.1.
        with_cp (bool): Gradient checkpointing of the Swin blocks. Defaults to False.
        mask_patch_size (int): Side of a mask cell in pixels, a multiple of 32 that divides
            the input size. Defaults to 32.
        teacher_checkpoint (str, optional): Teacher weights. Defaults to None (copy).
        mma (dict): Keyword arguments of :class:`MetaModalityAttention`. Defaults to
            ``dict(num_rounds=2)``.
        loss_rec_rgb, loss_rec_sar, loss_distill, loss_cgcl (dict, optional): Loss configs.
        data_preprocessor (dict): Defaults to ``MaRSPretrainDataPreProcessor``.
        init_cfg (dict, optional): mmengine init config. Defaults to None.
    """

    def __init__(self,
                 arch='base',
                 drop_path_rate=0.1,
                 with_cp=False,
                 mask_patch_size=32,
                 teacher_checkpoint=None,
                 mma=dict(num_rounds=2),
                 loss_rec_rgb=dict(type='MaskedL1Loss', loss_weight=1.0),
                 loss_rec_sar=dict(type='MaskedL1Loss', loss_weight=1.0),
                 loss_distill=dict(type='TokenDistillationLoss', loss_weight=1.0),
                 loss_cgcl=dict(type='CrossGranularityContrastiveLoss', loss_weight=1.0),
                 data_preprocessor=dict(type='mars.MaRSPretrainDataPreProcessor'),
                 init_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if mask_patch_size % ENCODER_STRIDE:
            raise ValueError(f'mask_patch_size must be a multiple of {ENCODER_STRIDE}, got '
                             f'{mask_patch_size}')
        self.arch = arch
        self.mask_patch_size = mask_patch_size
        self.teacher_checkpoint = teacher_checkpoint
        embed_dim, *_, dim = arch_channels(arch)
        for modality, channels in MODALITY_CHANNELS.items():
            setattr(self, f'encoder_{modality}', MaRSBackbone(
                arch=arch, in_channels=channels, drop_path_rate=drop_path_rate,
                with_cp=with_cp, modality=modality))
            # SimMIM initialises the mask token with zeros, then truncated normal.
            token = nn.Parameter(torch.zeros(embed_dim))
            nn.init.trunc_normal_(token, std=0.02)
            setattr(self, f'mask_token_{modality}', token)

        self.loss_distill = MODELS.build(loss_distill) if loss_distill else None
        if self.loss_distill is not None:
            teacher_init = dict(type='Pretrained', checkpoint=teacher_checkpoint) \
                if teacher_checkpoint else None
            self.teacher_rgb = MaRSBackbone(
                arch=arch, in_channels=3, drop_path_rate=0., modality='rgb',
                init_cfg=teacher_init)
            freeze_as_buffers(self.teacher_rgb)
        self.loss_cgcl = MODELS.build(loss_cgcl) if loss_cgcl else None

        rec_losses = dict(rgb=loss_rec_rgb, sar=loss_rec_sar)
        self.loss_rec = nn.ModuleDict(
            {m: MODELS.build(cfg) for m, cfg in rec_losses.items() if cfg})
        if self.loss_rec:
            self.mma = MetaModalityAttention(dim, modalities=tuple(MODALITY_CHANNELS), **mma)
            self.decoders = nn.ModuleDict({
                m: nn.Sequential(
                    nn.Conv2d(dim, ENCODER_STRIDE**2 * MODALITY_CHANNELS[m], 1),
                    nn.PixelShuffle(ENCODER_STRIDE))
                for m in self.loss_rec
            })

    def init_weights(self):
        super().init_weights()
        if self.loss_distill is not None and not self.teacher_checkpoint:
            # The teacher starts as the student's initial RGB encoder.
            self.teacher_rgb.load_state_dict(self.encoder_rgb.state_dict())

    def train(self, mode=True):
        super().train(mode)
        if self.loss_distill is not None:
            self.teacher_rgb.eval()  # frozen: no dropout / drop path, ever
        return self

    def _check_inputs(self, inputs, masks):
        for modality in MODALITY_CHANNELS:
            if modality not in inputs:
                raise KeyError(f'MaRSPretrainModel needs inputs[{modality!r}], got '
                               f'{sorted(inputs)}')
        height, width = inputs['rgb'].shape[-2:]
        if height % self.mask_patch_size or width % self.mask_patch_size:
            raise ValueError(f'input {height}x{width} is not a multiple of mask_patch_size '
                             f'{self.mask_patch_size}')
        if inputs['sar'].shape[-2:] != (height, width):
            raise ValueError(f'RGB input is {height}x{width} but SAR input is '
                             f'{tuple(inputs["sar"].shape[-2:])}')
        for modality, mask in (masks or {}).items():
            if mask.shape[-2:] != (height // self.mask_patch_size,
                                   width // self.mask_patch_size):
                raise ValueError(
                    f'{modality} mask is {tuple(mask.shape[-2:])}, expected the '
                    f'{self.mask_patch_size}-pixel grid of a {height}x{width} input')

    def extract_feat(self, inputs, masks=None):
        """Deepest-stage tokens ``[B, N, C]`` per modality (masked where ``masks`` say)."""
        masks = masks or {}
        tokens = {}
        for modality in MODALITY_CHANNELS:
            feat = encode(getattr(self, f'encoder_{modality}'), inputs[modality],
                          getattr(self, f'mask_token_{modality}'), masks.get(modality))
            tokens[modality] = feat
        return tokens

    def reconstruct(self, tokens):
        """Decoder outputs ``[B, C_m, H, W]`` from NHWC deepest features, after MMA."""
        batch, height, width, dim = tokens['rgb'].shape
        mixed = self.mma({m: t.flatten(1, 2) for m, t in tokens.items()})
        return {
            m: self.decoders[m](mixed[m].transpose(1, 2).reshape(batch, dim, height, width))
            for m in self.loss_rec
        }

    def forward(self, inputs, data_samples=None, mode='tensor'):
        """``mode='loss'``: dict of losses; ``'predict'``: reconstructions and masks per
        modality; ``'tensor'``: deepest-stage NHWC features per modality (no masking)."""
        masks = (data_samples or {}).get('masks')
        self._check_inputs(inputs, masks)
        if mode == 'tensor':
            return self.extract_feat(inputs)
        if masks is None:
            raise KeyError('MaRSPretrainModel needs data_samples["masks"] (from '
                           'MaRSMaskGenerator) in loss and predict modes')
        feats = self.extract_feat(inputs, masks)
        if mode == 'predict':
            return dict(reconstructions=self.reconstruct(feats) if self.loss_rec else {},
                        masks=masks)
        if mode != 'loss':
            raise ValueError(f'unknown mode {mode!r}; expected loss, predict or tensor')
        return self.loss(inputs, masks, feats)

    def loss(self, inputs, masks, feats):
        losses = {}
        tokens = {m: f.flatten(1, 2) for m, f in feats.items()}
        if self.loss_rec:
            for modality, rec in self.reconstruct(feats).items():
                pixel_mask = F.interpolate(masks[modality][:, None].float(),
                                           size=rec.shape[-2:], mode='nearest')
                losses[f'loss_rec_{modality}'] = self.loss_rec[modality](
                    rec, inputs[modality], pixel_mask)
        if self.loss_distill is not None:
            with torch.no_grad():
                teacher = encode(self.teacher_rgb, inputs['rgb']).flatten(1, 2)
            losses['loss_distill'] = self.loss_distill(tokens['rgb'], teacher)
        if self.loss_cgcl is not None:
            losses['loss_cgcl'] = self.loss_cgcl(tokens['rgb'], tokens['sar'])
        return losses
