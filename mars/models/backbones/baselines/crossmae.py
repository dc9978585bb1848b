"""CrossMAE (Fu, Lian et al., "Rethinking Patch Dependence for Masked Autoencoders";
TonyLianLong/CrossMAE): an MAE whose decoder reconstructs masked patches by cross-attention
to the encoder's blocks. Its encoder (``models_cross.py``: ``patch_embed``, ``cls_token``,
``pos_embed``, ``blocks.N`` of ``transformer_utils.Block``: ``norm1``, ``attn.qkv``,
``attn.proj``, ``norm2``, ``mlp.fc1``, ``mlp.fc2``) has timm ViT keys, so timm builds it;
the released pretraining checkpoint (``{'model': ...}``) also holds the decoder
(``decoder_*``, ``mask_token``), the per-decoder-block norms of the weighted feature maps
(``dec_norms.*``) and their weights (``wfm.*``): those are dropped. The released (``wfm``)
encoders have no final norm, so none is missing. The fixed sin-cos ``pos_embed`` (14x14
grid) is loaded as timm's position table and resampled to each input, as SatMAE's.
"""
import re

from .baseline_backbone import (CheckpointFormat, register_baseline_arch,
                                register_checkpoint_format)

register_checkpoint_format('crossmae', CheckpointFormat(
    'CrossMAE', 'cross-attention decoder', 'decoder_*, mask_token, dec_norms.*, wfm.*',
    re.compile(r'^(decoder_|mask_token$|dec_norms\.|wfm\.)'), None))
register_baseline_arch(
    'crossmae-vit-b16', timm_name='vit_base_patch16_224', family='vit', dim=768,
    checkpoint_format='crossmae')
# Small variant (no released weights) for CPU tests; same code paths and key layout.
register_baseline_arch(
    'crossmae-tiny', timm_name='vit_base_patch16_224', family='vit', dim=32,
    checkpoint_format='crossmae', timm_kwargs=dict(embed_dim=32, depth=2, num_heads=2))
