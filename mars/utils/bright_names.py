"""BRIGHT (DFC25 track 2) file names: ``<event>_<8 digits>_...``.

Read by the dataset (events of a split) and by the damage metric (per-event scores and
submission file names), so it lives below both.
"""
import os.path as osp
import re

# `<event>_<8 digits>_...`: the event is everything before the last 8-digit tile id.
EVENT_PATTERN = re.compile(r'(.+)_(\d{8})(?:_|$)')


def _tile_match(name, what):
    match = EVENT_PATTERN.match(osp.basename(name))
    if match is None:
        raise ValueError(f'BRIGHT file name {name!r} does not follow '
                         f'<event>_<8 digits>_...: cannot tell its {what}')
    return match


def bright_event(name):
    """Event name of a BRIGHT file or sample name.

    Args:
        name (str): File path or name, e.g. ``.../bata-explosion_00000003_pre_disaster.tif``
            or the stem ``bata-explosion_00000003``.

    Returns:
        str: The event, e.g. ``'bata-explosion'``.

    Raises:
        ValueError: The name does not follow ``<event>_<8 digits>_...``.
    """
    return _tile_match(name, 'event').group(1)


def bright_tile(name):
    """Tile name ``<event>_<8 digits>`` of a BRIGHT file or sample name.

    Args:
        name (str): File path or name, as for :func:`bright_event`.

    Returns:
        str: The tile, e.g. ``'bata-explosion_00000003'``.

    Raises:
        ValueError: The name does not follow ``<event>_<8 digits>_...``.
    """
    return '_'.join(_tile_match(name, 'tile').groups())
