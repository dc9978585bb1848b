"""Bring every MaRS checkpoint form to the released encoder-only key layout.

The released files are timm ``features_only`` SwinV2 state dicts: ``patch_embed.*``,
``layers_0.*`` ... ``layers_3.*``. Also accepted:

* the raw pretraining checkpoint ``{'model': {'encoder_rgb.encoder.<timm key>': ...}}``
  (one encoder per modality, chosen by ``modality``), and this project's pretraining
  checkpoints (``MaRSPretrainModel``: the same keys under ``state_dict``);
* plain timm SwinV2 state dicts (``layers.N.*``, with ``norm.*`` / ``head.*``);
* mmengine checkpoints (``{'state_dict': ...}``) of the above.
"""
import re


PRETRAIN_PREFIX = 'encoder_{modality}.encoder.'
# Classifier parts and buffers the encoder-only model does not keep.
_DROPPED = re.compile(r'^(norm|head)\.|relative_position_index|relative_coords_table|attn_mask')


def to_released_form(checkpoint, modality='rgb'):
    """Return the encoder state dict of ``checkpoint`` with released (``layers_N.``) keys.

    Args:
        checkpoint (dict): A loaded checkpoint in any of the module-level forms.
        modality (str): Which encoder of a raw pretraining checkpoint to take.

    Raises:
        KeyError: a pretraining checkpoint has no encoder for ``modality``.
    """
    state_dict = checkpoint.get('state_dict', checkpoint)
    model = state_dict.get('model')
    if not isinstance(model, dict) and any(
            k.startswith('encoder_') and '.encoder.' in k for k in state_dict):
        model = state_dict  # mmengine checkpoint of MaRSPretrainModel: no 'model' level
    if isinstance(model, dict):
        prefix = PRETRAIN_PREFIX.format(modality=modality)
        state_dict = {k[len(prefix):]: v for k, v in model.items() if k.startswith(prefix)}
        if not state_dict:
            found = sorted({k.split('.')[0] for k in model})
            raise KeyError(f'pretraining checkpoint has no keys under {prefix!r} for '
                           f'modality {modality!r}; top-level modules found: {found}')
    state_dict = {re.sub(r'^layers\.(\d+)\.', r'layers_\1.', k): v for k, v in state_dict.items()}
    return {k: v for k, v in state_dict.items() if not _DROPPED.search(k)}


def adapt_in_channels(weight, in_channels, to_one='mean'):
    """Adapt a patch-embedding kernel ``[C, c_in, k, k]`` to ``in_channels`` inputs.

    3 -> 1 (an RGB checkpoint for a SAR / grey input): the mean of the input filters, so a
    grey image that equals each RGB band gives the same response (``to_one='mean'``), or
    their sum (``to_one='sum'``, timm's ``in_chans=1`` adaptation of ImageNet weights, which
    the MaRS authors started their SAR encoder from). 1 -> N: the filter repeated N times
    and scaled by 1/N, which keeps the response to N equal bands.

    Returns:
        tuple[Tensor, str]: the adapted weight and the rule applied, for the log.

    Raises:
        ValueError: for other channel changes, which have no unambiguous rule.
    """
    c_in = weight.shape[1]
    if in_channels == 1:
        if to_one == 'sum':
            return (weight.sum(dim=1, keepdim=True),
                    f"{c_in} -> 1: sum of the input filters (timm's in_chans=1 rule)")
        return weight.mean(dim=1, keepdim=True), f'{c_in} -> 1: mean of the input filters'
    if c_in == 1:
        return (weight.repeat(1, in_channels, 1, 1) / in_channels,
                f'1 -> {in_channels}: filter repeated {in_channels} times, scaled by '
                f'1/{in_channels}')
    raise ValueError(f'patch_embed.proj.weight has {c_in} input channels and the model '
                     f'{in_channels}; only 3 -> 1 and 1 -> N can be adapted')


def read_state_dict(filename):
    """A state dict from a ``.safetensors`` file or a (safely loaded) ``.pth`` checkpoint.

    timm publishes its ImageNet weights in both forms (``model.safetensors`` on the Hugging
    Face hub, ``.pth`` / ``.bin`` elsewhere).
    """
    if str(filename).endswith('.safetensors'):
        from safetensors.torch import load_file
        return load_file(filename)
    from .safe_checkpoint import load_checkpoint_file
    checkpoint = load_checkpoint_file(filename, map_location='cpu')
    return checkpoint.get('state_dict', checkpoint.get('model', checkpoint))
