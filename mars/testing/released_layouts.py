"""Random-weight files in the key layouts the CROMA and DOFA authors released, written out
from their public code (not from our modules), for tests of the baseline backbones.

* CROMA: ``main_croma.py`` of antofuller/CROMA (``PretrainedCROMA`` loads
  ``CROMA_base.pt['s1_encoder' | 's1_GAP_FFN' | 's2_encoder' | 's2_GAP_FFN' |
  'joint_encoder']`` strictly into ``ViT`` / ``nn.Sequential`` / ``BaseTransformerCrossAttn``).
* DOFA: ``dofa_v1.py`` and ``wave_dynamic_layer.py`` of zhu-xlab/DOFA (``OFAViT`` with
  ``Dynamic_MLP_OFA``), and the extra keys DOFA's README lists for
  ``DOFA_ViT_base_e100.pth`` (``mask_token``, ``norm.*``, ``projector.*``).
"""
import torch


def _random(shapes, seed):
    generator = torch.Generator().manual_seed(seed)
    return {key: torch.randn(shape, generator=generator) * 0.02
            for key, shape in shapes.items()}


def _croma_attention(prefix, dim):
    return {f'{prefix}to_qkv.weight': (3 * dim, dim), f'{prefix}to_out.weight': (dim, dim),
            f'{prefix}to_out.bias': (dim, ), f'{prefix}input_norm.weight': (dim, ),
            f'{prefix}input_norm.bias': (dim, )}


def _croma_ffn(prefix, dim):
    # FFN.net = Sequential(Linear, GELU, Dropout, Linear): indices 0 and 3.
    return {f'{prefix}net.0.weight': (4 * dim, dim), f'{prefix}net.0.bias': (4 * dim, ),
            f'{prefix}net.3.weight': (dim, 4 * dim), f'{prefix}net.3.bias': (dim, ),
            f'{prefix}input_norm.weight': (dim, ), f'{prefix}input_norm.bias': (dim, )}


def _croma_vit(dim, depth, in_channels):
    shapes = {'linear_input.weight': (dim, 8 * 8 * in_channels), 'linear_input.bias': (dim, ),
              'transformer.norm_out.weight': (dim, ), 'transformer.norm_out.bias': (dim, )}
    for i in range(depth):
        shapes.update(_croma_attention(f'transformer.layers.{i}.0.', dim))
        shapes.update(_croma_ffn(f'transformer.layers.{i}.1.', dim))
    return shapes


def _croma_joint(dim, depth):
    shapes = {'norm_out.weight': (dim, ), 'norm_out.bias': (dim, )}
    for i in range(depth):
        shapes.update(_croma_attention(f'layers.{i}.0.', dim))
        cross = f'layers.{i}.1.'
        shapes.update({f'{cross}to_q.weight': (dim, dim), f'{cross}to_k.weight': (dim, dim),
                       f'{cross}to_v.weight': (dim, dim), f'{cross}to_out.weight': (dim, dim),
                       f'{cross}to_out.bias': (dim, ), f'{cross}input_norm.weight': (dim, ),
                       f'{cross}input_norm.bias': (dim, )})
        shapes.update(_croma_ffn(f'layers.{i}.2.', dim))
    return shapes


def _gap_ffn(dim):
    return {'0.weight': (dim, ), '0.bias': (dim, ), '1.weight': (4 * dim, dim),
            '1.bias': (4 * dim, ), '3.weight': (dim, 4 * dim), '3.bias': (dim, )}


def croma_shapes(dim=32, depth=2):
    """``{part: {key: shape}}`` of a ``CROMA_base.pt``-layout file (``dim=768, depth=12`` is
    CROMA-B): a 12-band optical encoder of ``depth`` layers, a 2-band radar encoder and a
    joint encoder of ``depth // 2`` (``int(encoder_depth / 2)``), and both GAP FFNs."""
    return dict(s1_encoder=_croma_vit(dim, depth // 2, 2), s1_GAP_FFN=_gap_ffn(dim),
                s2_encoder=_croma_vit(dim, depth, 12), s2_GAP_FFN=_gap_ffn(dim),
                joint_encoder=_croma_joint(dim, depth // 2))


def croma_checkpoint(dim=32, depth=2, seed=0):
    """A random-weight ``CROMA_base.pt``-layout dict (see :func:`croma_shapes`)."""
    parts = croma_shapes(dim, depth)
    return {part: _random(shapes, seed + i) for i, (part, shapes) in enumerate(parts.items())}


def dofa_state_dict(dim=32, depth=2, seed=0):
    """A random-weight ``DOFA_ViT_base_e100.pth``-layout state dict (see
    :func:`dofa_shapes`)."""
    return _random(dofa_shapes(dim, depth), seed)


def dofa_shapes(dim=32, depth=2, kernel_size=16, wv_planes=128):
    """``{key: shape}`` of a ``DOFA_ViT_base_e100.pth``-layout state dict (``dim=768,
    depth=12`` is DOFA-B): the ``OFAViT`` encoder at 224 px (pos_embed of 197 tokens)
    without ``fc_norm`` / ``head``, plus the pretraining keys ``mask_token``, ``norm.*`` and
    ``projector.*``."""
    generator = 'patch_embed.weight_generator.'
    layer = f'{generator}transformer_encoder.layers.0.'
    shapes = {
        f'{layer}self_attn.in_proj_weight': (3 * wv_planes, wv_planes),
        f'{layer}self_attn.in_proj_bias': (3 * wv_planes, ),
        f'{layer}self_attn.out_proj.weight': (wv_planes, wv_planes),
        f'{layer}self_attn.out_proj.bias': (wv_planes, ),
        # nn.TransformerEncoderLayer's default dim_feedforward=2048.
        f'{layer}linear1.weight': (2048, wv_planes), f'{layer}linear1.bias': (2048, ),
        f'{layer}linear2.weight': (wv_planes, 2048), f'{layer}linear2.bias': (wv_planes, ),
        f'{layer}norm1.weight': (wv_planes, ), f'{layer}norm1.bias': (wv_planes, ),
        f'{layer}norm2.weight': (wv_planes, ), f'{layer}norm2.bias': (wv_planes, ),
        f'{generator}fc_weight.weight': (kernel_size * kernel_size * dim, wv_planes),
        f'{generator}fc_weight.bias': (kernel_size * kernel_size * dim, ),
        f'{generator}fc_bias.weight': (dim, wv_planes), f'{generator}fc_bias.bias': (dim, ),
        f'{generator}weight_tokens': (128, wv_planes), f'{generator}bias_token': (1, wv_planes),
        'patch_embed.fclayer.w1.weight': (wv_planes, wv_planes),
        'patch_embed.fclayer.w1.bias': (wv_planes, ),
        'patch_embed.fclayer.w2.weight': (wv_planes, wv_planes),
        'patch_embed.fclayer.w2.bias': (wv_planes, ),
        'cls_token': (1, 1, dim), 'pos_embed': (1, 197, dim),
        'mask_token': (1, 1, dim), 'norm.weight': (dim, ), 'norm.bias': (dim, ),
        'projector.weight': (dim, dim), 'projector.bias': (dim, ),
    }
    for i in range(depth):
        block = f'blocks.{i}.'
        shapes.update({
            f'{block}norm1.weight': (dim, ), f'{block}norm1.bias': (dim, ),
            f'{block}attn.qkv.weight': (3 * dim, dim), f'{block}attn.qkv.bias': (3 * dim, ),
            f'{block}attn.proj.weight': (dim, dim), f'{block}attn.proj.bias': (dim, ),
            f'{block}norm2.weight': (dim, ), f'{block}norm2.bias': (dim, ),
            f'{block}mlp.fc1.weight': (4 * dim, dim), f'{block}mlp.fc1.bias': (4 * dim, ),
            f'{block}mlp.fc2.weight': (dim, 4 * dim), f'{block}mlp.fc2.bias': (dim, )})
    return shapes
