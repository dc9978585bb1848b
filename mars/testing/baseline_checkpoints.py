"""Random-weight checkpoints in the released layouts of the pretraining-checkpoint baselines
(Scale-MAE, CrossMAE, GFM), for the tests: weights cannot be downloaded, so each file is
built here with its authors' key names, read from their public code (the file each layout
comes from is named below).
"""
import re

import timm
import torch

from mars.models.backbones.baselines import BASELINE_ARCHS


def _vit_encoder(spec):
    """A timm ViT of the arch's size at the 224-px pretraining grid, without classifier:
    cls_token, pos_embed (1, 197, dim), patch_embed, blocks, norm."""
    kwargs = dict(spec.get('timm_kwargs', {}))
    return timm.create_model('vit_base_patch16_224', pretrained=False, num_classes=0,
                             img_size=224, **kwargs).state_dict()


def _scalemae(spec):
    """scale-mae ``scalemae/models_mae.py`` (MaskedAutoencoderViT) with ``lib/fpn.py``'s
    FPNHead and the two FCNHeads of ``independent_fcn_head=True`` (the release's setting),
    saved by ``main_pretrain.py`` as ``{'model': ...}``."""
    dim = spec['dim']
    encoder = _vit_encoder(spec)
    model = dict(encoder)
    model.update({
        'decoder_embed.weight': torch.randn(16, dim), 'decoder_embed.bias': torch.zeros(16),
        'mask_token': torch.zeros(1, 1, 16), 'mask_token_decoder': torch.zeros(1, 1, 16),
        'decoder_pos_embed': torch.zeros(1, 197, 16),
        'decoder_blocks.0.attn.qkv.weight': torch.randn(48, 16),
        'decoder_norm.weight': torch.ones(16), 'decoder_norm.bias': torch.zeros(16),
        'fpn.fpn1.0.weight': torch.randn(16, 16, 2, 2), 'fpn.fpn1.1.ln.weight': torch.ones(16),
        'fpn.fpn2.0.weight': torch.randn(16, 16, 2, 2),
        'fcn_high.proj.weight': torch.randn(8, 16, 1, 1),
        'fcn_low.conv_blocks.0.residual.weight': torch.randn(8, 8, 1, 1),
        'fcn_high.pred.0.ln.weight': torch.ones(8)})
    return dict(model=model, epoch=799), encoder


def _crossmae(spec):
    """CrossMAE ``models_cross.py`` (MaskedAutoencoderViT, ``weight_fm=True`` as released:
    no encoder ``norm``; ``dec_norms`` and ``wfm`` of the weighted feature maps;
    ``transformer_utils.CrossAttentionBlock`` decoder), saved as ``{'model': ...}``."""
    dim = spec['dim']
    encoder = {k: v for k, v in _vit_encoder(spec).items() if not k.startswith('norm.')}
    model = dict(encoder)
    model.update({
        'dec_norms.0.weight': torch.ones(dim), 'dec_norms.0.bias': torch.zeros(dim),
        'wfm.linear.weight': torch.randn(8, 2), 'mask_token': torch.zeros(1, 1, 16),
        'decoder_blocks.0.norm1.weight': torch.ones(16),
        'decoder_blocks.0.cross_attn.q.weight': torch.randn(16, 16),
        'decoder_blocks.0.cross_attn.kv.weight': torch.randn(32, dim),
        'decoder_norm.weight': torch.ones(16), 'decoder_pred.weight': torch.randn(768, 16),
        'decoder_pos_embed': torch.zeros(1, 197, 16)})
    return dict(model=model, epoch=799), encoder


def microsoft_swin(spec, window_size, img_size):
    """Microsoft's Swin (v1) state dict of the arch's size (GFM ``models/swin_transformer.py``
    is that code): patch merging at the end of a stage (``layers.N.downsample`` is timm's
    ``layers.N+1.downsample``), ``relative_position_index`` and ``attn_mask`` buffers saved,
    no classifier (``num_classes=0``)."""
    kwargs = dict(spec.get('timm_kwargs', {}), window_size=window_size, img_size=img_size)
    timm_form = timm.create_model(spec['timm_name'], pretrained=False, num_classes=0,
                                  **kwargs).state_dict()
    microsoft = {}
    for key, value in timm_form.items():
        microsoft[re.sub(r'layers\.(\d+)\.downsample',
                         lambda m: f'layers.{int(m.group(1)) - 1}.downsample', key)] = value
    tokens = window_size * window_size
    microsoft['layers.0.blocks.0.attn.relative_position_index'] = torch.zeros(
        tokens, tokens, dtype=torch.long)
    return microsoft, timm_form


def _simmim(spec, window_size=6, img_size=192):
    """GFM ``models/teacher.py``: SimMIM(encoder=SwinTransformerForSimMIM, decoder=Conv2d +
    PixelShuffle, projector=Linear, teacher=SwinTeacher), saved as ``{'model': ...}``;
    SimMIM's Swin-B pretraining grid (192 px, window 6)."""
    encoder, timm_form = microsoft_swin(spec, window_size, img_size)
    dim = spec['channels'][-1]
    model = {f'encoder.{k}': v for k, v in encoder.items()}
    model['encoder.mask_token'] = torch.zeros(1, 1, spec['channels'][0])
    model.update({'decoder.0.weight': torch.randn(32 * 32 * 3, dim, 1, 1),
                  'decoder.0.bias': torch.zeros(32 * 32 * 3),
                  'projector.weight': torch.randn(dim, dim), 'projector.bias': torch.zeros(dim)})
    model.update({f'teacher.{k}': v.clone() for k, v in encoder.items()})
    return dict(model=model, epoch=99), timm_form


LAYOUTS = {'scalemae': _scalemae, 'crossmae': _crossmae, 'simmim': _simmim}


def authors_checkpoint(arch, seed=0):
    """A random-weight checkpoint of ``arch`` in its authors' released layout (by its
    ``checkpoint_format``: ``scalemae``, ``crossmae`` or ``simmim``).

    Returns:
        tuple: The checkpoint (to ``torch.save``) and its encoder's tensors under the
        model's (timm) key names, for comparisons after loading.
    """
    spec = BASELINE_ARCHS[arch]
    torch.manual_seed(seed)
    return LAYOUTS[spec['checkpoint_format']](spec)
