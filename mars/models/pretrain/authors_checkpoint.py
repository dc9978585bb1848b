"""The MaRS authors' raw pretraining checkpoint layout, both ways.

Their ``main_pretrain.py`` saves ``{'model': state_dict, ...}`` of ``DualEncoderMaRS``
(WanderRainy/MaRS ``models/MaRS.py``): full timm SwinV2 models under
``encoder_rgb.encoder.`` / ``encoder_sar.encoder.`` / ``teacher_encoder.encoder.`` (final
``norm`` and ImageNet ``head`` included), ``<encoder>.mask_token`` of shape ``[1, 1, C]``,
``decoder_rgb`` / ``decoder_sar``, ``contrast_temp`` and the Meta-Modality Attention as
``alternating_attn.{modality,global}_blocks.<round>.<0 LayerNorm | 1 MultiheadAttention |
3 Mlp>``. :class:`MaRSPretrainModel` (with the default, authors' MMA) holds the same tensors
under other names; the encoders' ImageNet classifiers and ``contrast_temp`` (a temperature of
their unused CLIP loss) have no counterpart and are dropped on loading.
"""
import re

# (our pattern, their pattern); a group keeps the timm key or the MMA round.
_RENAMES = (
    (r'encoder_(rgb|sar)\.encoder\.layers_(\d+)\.(.*)',
     r'encoder_\1.encoder.layers.\2.\3'),
    (r'encoder_(rgb|sar)\.encoder\.patch_embed\.(.*)', r'encoder_\1.encoder.patch_embed.\2'),
    (r'final_norms\.(rgb|sar)\.(weight|bias)', r'encoder_\1.encoder.norm.\2'),
    (r'mask_token_(rgb|sar)', r'encoder_\1.mask_token'),
    (r'teacher_rgb\.encoder\.layers_(\d+)\.(.*)', r'teacher_encoder.encoder.layers.\1.\2'),
    (r'teacher_rgb\.encoder\.patch_embed\.(.*)', r'teacher_encoder.encoder.patch_embed.\1'),
    (r'teacher_norm\.(weight|bias)', r'teacher_encoder.encoder.norm.\1'),
    (r'teacher_mask_token', r'teacher_encoder.mask_token'),
    (r'decoders\.(rgb|sar)\.0\.(weight|bias)', r'decoder_\1.0.\2'),
)
_MMA_PARTS = (
    (r'norm1\.(weight|bias)', r'0.\1'),
    (r'attn\.qkv\.weight', r'1.in_proj_weight'),
    (r'attn\.qkv\.bias', r'1.in_proj_bias'),
    (r'attn\.proj\.(weight|bias)', r'1.out_proj.\1'),
    (r'mlp\.0\.(weight|bias)', r'3.fc1.\1'),
    (r'mlp\.2\.(weight|bias)', r'3.fc2.\1'),
)
_MMA_BLOCKS = ((r'mma\.intra\.(\d+)\.shared\.', r'alternating_attn.modality_blocks.\1.'),
               (r'mma\.joint\.(\d+)\.', r'alternating_attn.global_blocks.\1.'))
# Their keys with no counterpart in MaRSPretrainModel.
UNUSED = re.compile(r'^(encoder_(rgb|sar)|teacher_encoder)\.encoder\.head\.|^contrast_temp$')


def _pairs():
    pairs = list(_RENAMES)
    for ours_block, theirs_block in _MMA_BLOCKS:
        for ours_part, theirs_part in _MMA_PARTS:
            # Shift the part's group numbers past the block's round group.
            pairs.append((ours_block + ours_part, theirs_block + theirs_part.replace(
                r'\1', r'\2')))
    return pairs


def _rename(key, pairs):
    for pattern, replacement in pairs:
        match = re.fullmatch(pattern, key)
        if match:
            return match.expand(replacement)
    return None


def _is_token(key):
    return key.endswith('mask_token')


def authors_key(key):
    """The authors' name of one of our keys, or None when their layout has no place."""
    return _rename(key, _pairs())


def to_authors(state_dict):
    """Our ``MaRSPretrainModel`` state dict in the authors' key layout.

    Raises:
        KeyError: naming keys with no place in their layout (e.g. the per-modality MMA
            blocks of ``shared_intra=False``).
    """
    out, unplaced = {}, []
    for key, value in state_dict.items():
        theirs = authors_key(key)
        if theirs is None:
            unplaced.append(key)
            continue
        out[theirs] = value.reshape(1, 1, -1) if _is_token(theirs) else value
    if unplaced:
        raise KeyError(f'{len(unplaced)} keys have no place in the authors\' layout (their '
                       f'model has the default MMA and every loss): {unplaced[:5]}')
    return out


def from_authors(state_dict, own_keys):
    """The authors' state dict renamed to ``own_keys`` (a model's keys), and the list of
    their keys that the method never uses (dropped).

    Raises:
        KeyError: naming keys that are neither ours under their name nor known unused ones.
    """
    names = {authors_key(k): k for k in own_keys}
    out, unused, unknown = {}, [], []
    for key, value in state_dict.items():
        if UNUSED.search(key):
            unused.append(key)
        elif key in names:
            out[names[key]] = value.reshape(-1) if _is_token(key) else value
        else:
            unknown.append(key)
    if unknown:
        raise KeyError(f'{len(unknown)} keys of the authors\' checkpoint have no place in '
                       f'this model: {unknown[:5]}')
    return out, unused


def is_authors_checkpoint(checkpoint):
    """Whether ``checkpoint`` is a raw ``main_pretrain.py`` file (``{'model': ...}``)."""
    model = checkpoint.get('model') if isinstance(checkpoint, dict) else None
    return isinstance(model, dict) and any(
        k.startswith(('alternating_attn.', 'teacher_encoder.')) for k in model)
