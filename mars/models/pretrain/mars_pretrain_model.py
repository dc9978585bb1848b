"""The MaRS pretraining model: RGB and SAR SwinV2 encoders with masked image modelling,
Meta-Modality Attention, teacher distillation and cross-granularity contrast."""
import os.path as osp

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModel
from torch import nn

from mars.models.backbones.mars_backbone import MARS_ARCHS, MaRSBackbone, arch_channels
from mars.registry import MODELS
from mars.utils.mars_checkpoint import read_state_dict, to_released_form

from .authors_checkpoint import from_authors, is_authors_checkpoint
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


def fill_masked(x, mask, token):
    """``x`` with the patches under ``mask`` replaced by ``token``.

    Args:
        x (Tensor): NHWC patch embeddings ``[B, h, w, C]``.
        mask (Tensor): ``[B, h', w']`` on a grid dividing ``h x w``, nonzero where masked.
        token (Tensor): ``[C]``.

    ``torch.where`` picks each value: the same result as the authors'
    ``x * (1 - m) + token * m`` for finite ``x``, without its three full-size temporaries
    or the two full-size weight maps that product keeps for the backward pass.
    """
    masked = F.interpolate(mask[:, None].to(x.dtype), size=x.shape[1:3], mode='nearest')
    return torch.where(masked[:, 0, ..., None].bool(), token.to(x.dtype), x)


# Compiled Swin blocks share one code object: each stage's shapes, shifted and unshifted
# windows, and grad mode (the no-grad teacher) are variants of it; dynamo's default limit
# of 8 would silently leave the other blocks uncompiled.
SWIN_BLOCK_RECOMPILE_LIMIT = 64


def compile_swin_blocks(backbone, **compile_kwargs):
    """``torch.compile`` each Swin block of a MaRSBackbone in place (``Module.compile``:
    parameter names, state dict keys and checkpoints are unchanged); raises dynamo's
    ``recompile_limit`` to :data:`SWIN_BLOCK_RECOMPILE_LIMIT` when it is lower."""
    import torch._dynamo.config as dynamo_config
    dynamo_config.recompile_limit = max(dynamo_config.recompile_limit,
                                        SWIN_BLOCK_RECOMPILE_LIMIT)
    for stage in _swin_stages(backbone):
        for block in stage.blocks:
            block.compile(**compile_kwargs)


def encode(backbone, img, mask_token=None, mask=None, norm=None):
    """Deepest-stage NHWC features of a MaRSBackbone, SimMIM masking after the patch embed.

    Args:
        backbone (MaRSBackbone): Encoder (its timm ``features_only`` model is run stage by
            stage so the mask token can go in between).
        img (Tensor): ``[B, C, H, W]``.
        mask_token (Tensor, optional): ``[C_embed]`` learnable token.
        mask (Tensor, optional): ``[B, h, w]`` mask on any grid dividing ``H/4 x W/4``
            (e.g. the 32-pixel mask grid); 1 where the patch embedding is replaced.
        norm (nn.Module, optional): The encoder's final LayerNorm, applied last (timm's
            ``features_only`` model leaves it out).
    """
    x = backbone.encoder.patch_embed(img)  # [B, H/4, W/4, C] (timm SwinV2 is NHWC)
    if mask is not None:
        x = fill_masked(x, mask, mask_token)
    for stage in _swin_stages(backbone):
        x = stage(x)
    return x if norm is None else norm(x)


@MODELS.register_module()
class MaRSPretrainModel(BaseModel):
    """MaRS pretraining (registry scope ``mars``), the MaRS authors' method by default.

    * ``encoder_rgb`` (3 channels) and ``encoder_sar`` (1 channel): :class:`MaRSBackbone`
      SwinV2 encoders, each followed by its final LayerNorm (``final_norms``). Masked patch
      embeddings (SimMIM mask at 32 px, applied at the 4 px patch grid) are replaced by a
      learnable token per modality (``mask_token_<m>``); one mask serves RGB, SAR and the
      teacher.
    * ``teacher_rgb``: a frozen RGB encoder of the same arch (parameters are buffers, see
      :func:`freeze_as_buffers`) with its own frozen mask token and final norm. It sees the
      masked RGB image; weights from ``teacher_checkpoint`` (any form :class:`MaRSBackbone`
      loads), else a copy of ``encoder_rgb``'s initial weights.
    * ``mma``: :class:`MetaModalityAttention` over the deepest tokens of both encoders;
      ``decoders[<m>]``: 1x1 conv to ``32^2 * C_m`` channels + PixelShuffle(32) on the MMA
      output.

    Losses (each a config, None switches it off; keys in the loss dict):

    * ``loss_rec_rgb`` / ``loss_rec_sar``: :class:`MaskedL1Loss` of each decoder's output
      against the normalised input, on masked pixels only;
    * ``loss_distill``: :class:`TokenDistillationLoss` between the RGB tokens after MMA and
      the teacher's tokens;
    * ``loss_cgcl``: :class:`CrossGranularityContrastiveLoss` between the RGB and SAR tokens
      after MMA.

    Every difference from the authors' code is an argument (defaults = theirs, except their
    bugs): ``shared_mask``, ``final_norm``, ``distill_after_mma``, ``cgcl_after_mma``,
    ``teacher_input``, ``teacher_train_mode`` (their bug: the teacher's drop path stays
    active), the MMA block and sharing (``mma``) and the loss options
    (``TokenDistillationLoss.cosine_dim``, the CGCL switches). configs/pretrain/README.md
    lists them.

    Args:
        arch (str): ``'base'``, ``'large'`` or ``'tiny'`` (see ``MARS_ARCHS``). Defaults to
            'base'.
        drop_path_rate (float): Stochastic depth of the trained encoders. Defaults to 0.1.
        with_cp (bool): Gradient checkpointing of the Swin blocks of the trained encoders:
            less memory, one more forward pass of them. Defaults to False.
        teacher_first (bool): Run the frozen teacher (no gradient) before the students, so
            its transient activations are freed before the students' activations pile up
            (lower peak memory, same losses: the teacher in eval mode draws no random
            numbers). False runs it after the students, as the authors' code does.
            Defaults to True.
        compile_blocks (bool | dict): ``torch.compile`` every Swin block of the encoders
            and the teacher (a dict: ``torch.compile`` keyword arguments). A trial
            option: on a 2-core CPU at base it compiled for over an hour and stepped no
            faster (docs/benchmarks.md). Defaults to False.
        mask_patch_size (int): Side of a mask cell in pixels, a multiple of 32 that divides
            the input size. Defaults to 32.
        teacher_checkpoint (str, optional): Teacher weights. Defaults to None (copy).
        start_weights (str): Where the encoders start: the path of timm's ImageNet SwinV2
            state dict of ``arch`` (``.pth`` or ``.safetensors``; the authors' start: MaRS is
            continued pretraining), or ``'random'``. Both encoders, their final norms and
            (through the copy) the teacher load it; the SAR encoder's patch embedding gets
            timm's 3 -> 1 rule (sum of the RGB filters). Required: a missing file stops
            :meth:`init_weights`, i.e. the run before training, naming the file.
        shared_mask (bool): Mask RGB, SAR and the teacher's input with the RGB mask (the
            authors'); False masks each modality with its own mask. Defaults to True.
        final_norm (bool): Apply each encoder's final LayerNorm before MMA and every loss
            (the authors'). Defaults to True.
        distill_after_mma (bool): Distil the RGB tokens after MMA (the authors') instead of
            the encoder's. Defaults to True.
        cgcl_after_mma (bool): Contrast the tokens after MMA (the authors') instead of the
            encoders'. Defaults to True.
        teacher_input (str): ``'masked'`` (the authors': the masked RGB, with the teacher's
            own mask token) or ``'full'`` (the unmasked RGB). Defaults to 'masked'.
        teacher_train_mode (bool): Leave the teacher in train mode with the students' drop
            path, as the authors' code does (a bug: the frozen target is noisy). Defaults
            to False (eval mode, no drop path).
        mma (dict): Keyword arguments of :class:`MetaModalityAttention`. Defaults to
            ``dict(num_rounds=2)`` (8 heads, the authors' block, one shared intra block).
        loss_rec_rgb, loss_rec_sar, loss_distill, loss_cgcl (dict, optional): Loss configs.
        data_preprocessor (dict): Defaults to ``MaRSPretrainDataPreProcessor``.
        init_cfg (dict, optional): mmengine init config. Defaults to None.
    """

    def __init__(self,
                 arch='base',
                 drop_path_rate=0.1,
                 with_cp=False,
                 teacher_first=True,
                 compile_blocks=False,
                 mask_patch_size=32,
                 teacher_checkpoint=None,
                 start_weights=None,
                 shared_mask=True,
                 final_norm=True,
                 distill_after_mma=True,
                 cgcl_after_mma=True,
                 teacher_input='masked',
                 teacher_train_mode=False,
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
        if teacher_input not in ('masked', 'full'):
            raise ValueError(f"teacher_input must be 'masked' or 'full', got {teacher_input!r}")
        self.arch = arch
        self.mask_patch_size = mask_patch_size
        self.teacher_checkpoint = teacher_checkpoint
        if start_weights is None:
            raise ValueError(
                "MaRSPretrainModel needs start_weights: the path of timm's ImageNet "
                f"{MARS_ARCHS[arch]['timm_name']} state dict (the MaRS authors' start), or "
                "'random' to start from random weights")
        self.start_weights = start_weights
        self.shared_mask = shared_mask
        self.distill_after_mma = distill_after_mma
        self.cgcl_after_mma = cgcl_after_mma
        self.teacher_input = teacher_input
        self.teacher_train_mode = teacher_train_mode
        self.teacher_first = teacher_first
        embed_dim, *_, dim = arch_channels(arch)
        for modality, channels in MODALITY_CHANNELS.items():
            setattr(self, f'encoder_{modality}', MaRSBackbone(
                arch=arch, in_channels=channels, drop_path_rate=drop_path_rate,
                with_cp=with_cp, modality=modality))
            setattr(self, f'mask_token_{modality}', _mask_token(embed_dim))
        self.final_norms = nn.ModuleDict(
            {m: nn.LayerNorm(dim) for m in MODALITY_CHANNELS}) if final_norm else None

        self.loss_distill = MODELS.build(loss_distill) if loss_distill else None
        if self.loss_distill is not None:
            teacher_init = dict(type='Pretrained', checkpoint=teacher_checkpoint) \
                if teacher_checkpoint else None
            self.teacher_rgb = MaRSBackbone(
                arch=arch, in_channels=3, modality='rgb', init_cfg=teacher_init,
                drop_path_rate=drop_path_rate if teacher_train_mode else 0.)
            freeze_as_buffers(self.teacher_rgb)
            # The authors' teacher has its own (random, frozen) mask token and final norm.
            self.register_buffer('teacher_mask_token', _mask_token(embed_dim).detach())
            self.teacher_norm = freeze_as_buffers(nn.LayerNorm(dim)) if final_norm else None
        self.loss_cgcl = MODELS.build(loss_cgcl) if loss_cgcl else None
        if compile_blocks:
            kwargs = compile_blocks if isinstance(compile_blocks, dict) else {}
            for name in ('encoder_rgb', 'encoder_sar', 'teacher_rgb'):
                if hasattr(self, name):
                    compile_swin_blocks(getattr(self, name), **kwargs)

        rec_losses = dict(rgb=loss_rec_rgb, sar=loss_rec_sar)
        self.loss_rec = nn.ModuleDict(
            {m: MODELS.build(cfg) for m, cfg in rec_losses.items() if cfg})
        needs_mma = bool(self.loss_rec) or (
            self.loss_distill is not None and distill_after_mma) or (
            self.loss_cgcl is not None and cgcl_after_mma)
        if needs_mma:
            self.mma = MetaModalityAttention(dim, modalities=tuple(MODALITY_CHANNELS), **mma)
        if self.loss_rec:
            self.decoders = nn.ModuleDict({
                m: nn.Sequential(
                    nn.Conv2d(dim, ENCODER_STRIDE**2 * MODALITY_CHANNELS[m], 1),
                    nn.PixelShuffle(ENCODER_STRIDE))
                for m in self.loss_rec
            })

    def init_weights(self):
        super().init_weights()
        self.load_start_weights()
        if self.loss_distill is not None and not self.teacher_checkpoint:
            # The teacher starts as the student's initial RGB encoder (and final norm).
            self.teacher_rgb.load_state_dict(self.encoder_rgb.state_dict())
            if self.final_norms is not None:
                self.teacher_norm.load_state_dict(self.final_norms['rgb'].state_dict())

    def load_start_weights(self):
        """Load ``start_weights`` into both encoders and their final norms."""
        if self.start_weights == 'random':
            print_log('MaRSPretrainModel: encoders start from random weights '
                      "(start_weights='random')", logger='current')
            return
        filename = self.start_weights
        if not osp.isfile(filename):
            timm_name = MARS_ARCHS[self.arch]['timm_name']
            raise FileNotFoundError(
                f'start weights {filename} do not exist: save timm\'s ImageNet {timm_name} '
                'there (python tools/model_converters/timm_swinv2_start_weights.py '
                f'{timm_name} {filename}), or set model.start_weights=\'random\'')
        state_dict = read_state_dict(filename)
        for modality in MODALITY_CHANNELS:
            getattr(self, f'encoder_{modality}').load_mars_state_dict(
                to_released_form(state_dict), f'start weights {filename}', to_one='sum')
            if self.final_norms is not None:
                self.final_norms[modality].load_state_dict(
                    {k[len('norm.'):]: v for k, v in state_dict.items()
                     if k.startswith('norm.')})

    def adapt_checkpoint(self, checkpoint, filename):
        """A raw checkpoint of the authors' ``main_pretrain.py`` (``{'model': ...}``, their
        module names) as this model's state dict (``load_from`` continues their
        pretraining); any other checkpoint unchanged. Their keys the method never uses (the
        encoders' ImageNet classifiers, ``contrast_temp``) are dropped, named in one log
        line."""
        if not is_authors_checkpoint(checkpoint):
            return checkpoint
        state_dict, unused = from_authors(checkpoint['model'], self.state_dict().keys())
        print_log(f"{filename}: the MaRS authors' checkpoint layout, read into "
                  f'MaRSPretrainModel; dropped {len(unused)} keys the method does not use: '
                  f'{unused}', logger='current')
        return dict(state_dict=state_dict)

    def train(self, mode=True):
        super().train(mode)
        if self.loss_distill is not None and not self.teacher_train_mode:
            self.teacher_rgb.eval()  # frozen: no dropout / drop path
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

    def _norm(self, modality):
        return None if self.final_norms is None else self.final_norms[modality]

    def used_masks(self, masks):
        """The mask each modality is encoded with: the RGB one for all when shared."""
        if masks is None or not self.shared_mask:
            return masks
        return {m: masks['rgb'] for m in MODALITY_CHANNELS}

    def extract_feat(self, inputs, masks=None):
        """Deepest-stage NHWC features per modality (masked where ``masks`` say), after the
        final norm when ``final_norm``."""
        masks = masks or {}
        return {
            m: encode(getattr(self, f'encoder_{m}'), inputs[m], getattr(self, f'mask_token_{m}'),
                      masks.get(m), self._norm(m))
            for m in MODALITY_CHANNELS
        }

    def mix(self, feats):
        """Tokens ``[B, N, C]`` per modality after Meta-Modality Attention."""
        return self.mma({m: f.flatten(1, 2) for m, f in feats.items()})

    def reconstruct(self, mixed, shape):
        """Decoder outputs ``[B, C_m, H, W]`` from MMA tokens of an NHWC ``shape`` grid."""
        batch, height, width, dim = shape
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
        masks = self.used_masks(masks)
        teacher = None
        if mode == 'loss' and self.loss_distill is not None and self.teacher_first:
            teacher = self.teacher_tokens(inputs['rgb'], masks['rgb'])
        feats = self.extract_feat(inputs, masks)
        if mode == 'predict':
            rec = self.reconstruct(self.mix(feats), feats['rgb'].shape) if self.loss_rec else {}
            return dict(reconstructions=rec, masks=masks)
        if mode != 'loss':
            raise ValueError(f'unknown mode {mode!r}; expected loss, predict or tensor')
        return self.loss(inputs, masks, feats, teacher)

    def teacher_tokens(self, rgb, mask):
        """The frozen teacher's deepest tokens ``[B, N, C]`` (no gradient)."""
        with torch.no_grad():
            if self.teacher_input == 'full':
                mask = None
            return encode(self.teacher_rgb, rgb, self.teacher_mask_token, mask,
                          self.teacher_norm).flatten(1, 2)

    def loss(self, inputs, masks, feats, teacher=None):
        """The loss dict; ``teacher``: the teacher's tokens when already computed."""
        losses = {}
        tokens = {m: f.flatten(1, 2) for m, f in feats.items()}
        mixed = self.mix(feats) if hasattr(self, 'mma') else None
        if self.loss_rec:
            for modality, rec in self.reconstruct(mixed, feats['rgb'].shape).items():
                pixel_mask = F.interpolate(masks[modality][:, None].float(),
                                           size=rec.shape[-2:], mode='nearest')
                losses[f'loss_rec_{modality}'] = self.loss_rec[modality](
                    rec, inputs[modality], pixel_mask)
        if self.loss_distill is not None:
            student = mixed['rgb'] if self.distill_after_mma else tokens['rgb']
            if teacher is None:
                teacher = self.teacher_tokens(inputs['rgb'], masks['rgb'])
            losses['loss_distill'] = self.loss_distill(student, teacher)
        if self.loss_cgcl is not None:
            pair = mixed if self.cgcl_after_mma else tokens
            losses['loss_cgcl'] = self.loss_cgcl(pair['rgb'], pair['sar'])
        return losses


def _mask_token(embed_dim):
    # SimMIM initialises the mask token with zeros, then truncated normal.
    token = nn.Parameter(torch.zeros(embed_dim))
    nn.init.trunc_normal_(token, std=0.02)
    return token
