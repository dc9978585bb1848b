"""The encoder a multi-encoder wrapper (multi-modal, Siamese) builds: MaRS, or a baseline."""
from .baselines import BaselineBackbone, CROMABackbone, DOFABackbone
from .mars_backbone import MaRSBackbone

# The baseline encoders a wrapper may build, by config type.
ENCODERS = {cls.__name__: cls for cls in (BaselineBackbone, CROMABackbone, DOFABackbone)}

# What a per-modality / per-date entry may set for a BaselineBackbone encoder.
BASELINE_SETTINGS = ('in_channels', 'init_cfg', 'pretrained', 'drop_path_rate', 'with_cp')


def build_encoder(encoder, common, settings, owner, mars_only=None):
    """One encoder of a wrapper.

    Args:
        encoder (dict, optional): None for :class:`MaRSBackbone` (``common`` + ``settings``
            + ``mars_only``), or ``dict(type='BaselineBackbone', arch=..., ...)`` (or
            ``CROMABackbone`` / ``DOFABackbone``, whose modality / wavelengths follow each
            entry's ``in_channels``): that
            backbone with the entry's ``settings``; the wrapper's ``drop_path_rate`` and
            ``with_cp`` are its defaults.
        common (dict): The wrapper's shared MaRSBackbone arguments (``arch``,
            ``out_indices``, ``frozen_stages``, ``drop_path_rate``, ``with_cp``).
        settings (dict): The entry's own settings.
        owner (str): The entry, for messages (``'modalities.sar'``).
        mars_only (dict, optional): Arguments for a MaRSBackbone only (``modality``).

    Raises:
        ValueError / KeyError: a baseline encoder with settings it does not take, named.
    """
    if encoder is None:
        return MaRSBackbone(**dict(common, **settings, **(mars_only or {})))
    encoder = dict(encoder)
    kind = encoder.pop('type', None)
    backbone = kind if kind in ENCODERS.values() else ENCODERS.get(kind)
    if backbone is None:
        raise ValueError(f'{owner}: encoder.type must be one of {sorted(ENCODERS)}, got '
                         f'{kind!r}')
    if tuple(common['out_indices']) != (0, 1, 2, 3) or common['frozen_stages'] != -1:
        raise ValueError(f'{owner}: a BaselineBackbone encoder returns four levels and '
                         f'freezes nothing; keep out_indices=(0, 1, 2, 3) and '
                         f'frozen_stages=-1')
    if encoder.get('feature_pyramid', 'simple') != 'simple':
        raise ValueError(f'{owner}: the wrapper fuses four levels; encoder.feature_pyramid '
                         f"must be 'simple'")
    unsupported = sorted(set(settings) - set(BASELINE_SETTINGS))
    if unsupported:
        raise KeyError(f'{owner}: {unsupported} are MaRSBackbone settings; a BaselineBackbone '
                       f'encoder takes some of {BASELINE_SETTINGS}')
    defaults = dict(drop_path_rate=common['drop_path_rate'], with_cp=common['with_cp'])
    return backbone(**dict(defaults, **encoder, **settings))
