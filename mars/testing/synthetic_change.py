"""Synthetic WHU-CD- and BRIGHT-format change data for tests and CPU demos.

The files follow the real releases (names, folders, dtypes, bands, label codes); the content
is simple and learnable: rectangular roofs on textured ground. WHU-CD: the second date adds
new buildings (the changed pixels) and changes the illumination a little. BRIGHT: buildings
in the optical pre-event image, and in the SAR post-event image a backscatter that falls
with the damage grade (intact bright, destroyed dark and speckled).
"""
import os
import os.path as osp
import zlib

import numpy as np
import tifffile

from .synthetic import EM_SAR_LOOKS, random_rect, write_raster

GROUND_RGB = np.array([105, 118, 92], dtype=np.float32)
ROOF_RGB = np.array([[190, 80, 70], [200, 200, 195], [90, 110, 160]], dtype=np.float32)
# BRIGHT SAR backscatter (uint8 scale) of ground and of buildings by damage grade 1-3.
BRIGHT_SAR_GROUND = 45.0
BRIGHT_SAR_DAMAGE = {1: 200.0, 2: 120.0, 3: 70.0}
BRIGHT_EVENTS = ('bata-explosion', 'noto-earthquake')


def _ground(rng, size):
    """Float RGB ground with a per-tile tint, low-frequency shading and noise."""
    img = np.broadcast_to(GROUND_RGB + rng.normal(0, 6, 3), (size, size, 3)).astype(
        np.float32)
    coarse = rng.normal(0, 8, (4, 4)).astype(np.float32)
    shading = np.kron(coarse, np.ones((size // 4 + 1, size // 4 + 1), np.float32))
    noise = rng.normal(0, 5, img.shape).astype(np.float32)
    return img + shading[:size, :size, None] + noise


def _buildings(rng, size, count):
    """``count`` random roof rectangles ``(y0, y1, x0, x1)``."""
    return [random_rect(rng, size, 0.08, 0.2) for _ in range(count)]


def _paint_roofs(rng, img, rects):
    for y0, y1, x0, x1 in rects:
        img[y0:y1, x0:x1] = ROOF_RGB[rng.integers(len(ROOF_RGB))] + rng.normal(0, 8, 3)


def _to_uint8(img):
    return np.clip(img, 0, 255).astype(np.uint8)


def make_synthetic_whu_cd(root, splits=('train', 'val', 'test'), tiles=4, size=64, seed=0,
                          with_lists=False):
    """Write a synthetic dataset in the WHU-CD layout.

    ``root/<split>/{A,B}/<name>.png`` (uint8 RGB) and ``root/<split>/label/<name>.png``
    (uint8, 0 unchanged, 255 changed: buildings present in B only). With ``with_lists``
    also ``root/list/<split>.txt`` (one file name per line). Each tile depends only on
    ``seed``, its split and its index.

    Args:
        root (str): Output folder (created if needed).
        splits (Sequence[str]): Splits to write. Defaults to ('train', 'val', 'test').
        tiles (int): Tiles per split. Defaults to 4.
        size (int): Tile height and width (256 in the release). Defaults to 64.
        seed (int): Random seed. Defaults to 0.
        with_lists (bool): Write ``list/<split>.txt``. Defaults to False.

    Returns:
        dict: ``root``, ``names`` (``{split: [file name, ...]}``), ``size``.
    """
    root = str(root)
    names = {}
    for split in splits:
        folders = [osp.join(root, split, sub) for sub in ('A', 'B', 'label')]
        for folder in folders:
            os.makedirs(folder, exist_ok=True)
        split_key = zlib.crc32(split.encode())
        names[split] = [f'whucd_{split_key % 100:02d}{index:03d}.png'
                        for index in range(tiles)]
        for index, name in enumerate(names[split]):
            rng = np.random.default_rng([seed, split_key, index])
            ground = _ground(rng, size)
            first = ground.copy()
            old = _buildings(rng, size, int(rng.integers(1, 4)))
            _paint_roofs(rng, first, old)
            # Second date: same scene, new illumination and noise, plus new buildings.
            second = ground * rng.uniform(0.85, 1.15) + rng.normal(0, 4, ground.shape)
            _paint_roofs(rng, second, old)
            new = _buildings(rng, size, int(rng.integers(1, 4)))
            _paint_roofs(rng, second, new)
            label = np.zeros((size, size), np.uint8)
            for y0, y1, x0, x1 in new:
                label[y0:y1, x0:x1] = 255
            for y0, y1, x0, x1 in old:  # a roof on both dates is not a change
                label[y0:y1, x0:x1] = 0
            write_raster(osp.join(folders[0], name), _to_uint8(first))
            write_raster(osp.join(folders[1], name), _to_uint8(second))
            write_raster(osp.join(folders[2], name), label)
    if with_lists:
        os.makedirs(osp.join(root, 'list'), exist_ok=True)
        for split, files in names.items():
            with open(osp.join(root, 'list', f'{split}.txt'), 'w') as f:
                f.writelines(f'{name}\n' for name in files)
    return dict(root=root, names=names, size=size)


def _bright_sar(rng, label):
    """uint8 single-band SAR: backscatter by damage grade times gamma speckle."""
    sar = np.full(label.shape, BRIGHT_SAR_GROUND, np.float32)
    for grade, value in BRIGHT_SAR_DAMAGE.items():
        sar[label == grade] = value
    speckle = rng.gamma(EM_SAR_LOOKS, 1 / EM_SAR_LOOKS, label.shape).astype(np.float32)
    return _to_uint8(sar * speckle)


def make_synthetic_bright(root, splits=('train', 'val'), events=BRIGHT_EVENTS, tiles=2,
                          size=64, seed=0, pre_bands=3, with_setlevel=False):
    """Write a synthetic dataset in the BRIGHT (DFC25 track 2) layout.

    ``root/<split>/pre-event/<event>_<8 digits>_pre_disaster.tif`` (uint8 optical,
    ``pre_bands`` bands: RGB, then NIR-like extra bands),
    ``.../post-event/..._post_disaster.tif`` (uint8 SAR, 1 band) and
    ``.../target/..._building_damage.tif`` (uint8: 0 background, 1 intact, 2 damaged,
    3 destroyed). With ``with_setlevel`` also
    ``root/<split>_setlevel.txt`` listing ``<event>_<8 digits>`` per line. Every tile has
    buildings of all three damage grades. Each tile depends only on ``seed``, its split,
    event and index.

    Args:
        root (str): Output folder (created if needed).
        splits (Sequence[str]): Splits to write. Defaults to ('train', 'val').
        events (Sequence[str]): Event names. Defaults to ``BRIGHT_EVENTS``.
        tiles (int): Tiles per event and split. Defaults to 2.
        size (int): Tile height and width (1024 in the release). Defaults to 64.
        seed (int): Random seed. Defaults to 0.
        pre_bands (int): Bands of the pre-event files (>= 3). Defaults to 3.
        with_setlevel (bool): Write ``<split>_setlevel.txt``. Defaults to False.

    Returns:
        dict: ``root``, ``names`` (``{split: [<event>_<id>, ...]}``), ``size``.
    """
    if pre_bands < 3:
        raise ValueError(f'pre_bands must be at least 3 (RGB), got {pre_bands}')
    root = str(root)
    names = {}
    for split in splits:
        folders = [osp.join(root, split, sub)
                   for sub in ('pre-event', 'post-event', 'target')]
        for folder in folders:
            os.makedirs(folder, exist_ok=True)
        names[split] = []
        split_key = zlib.crc32(split.encode())
        for event in events:
            event_key = zlib.crc32(event.encode())
            for index in range(tiles):
                stem = f'{event}_{split_key % 1000 * 1000 + index:08d}'
                names[split].append(stem)
                rng = np.random.default_rng([seed, split_key, event_key, index])
                pre = _ground(rng, size)
                label = np.zeros((size, size), np.uint8)
                rects = _buildings(rng, size, 4)
                _paint_roofs(rng, pre, rects)
                for rect, grade in zip(rects, rng.permutation([1, 2, 3, 1 + index % 3])):
                    y0, y1, x0, x1 = rect
                    label[y0:y1, x0:x1] = grade
                pre = _to_uint8(pre)
                pre_path = osp.join(folders[0], f'{stem}_pre_disaster.tif')
                if pre_bands > 3:
                    extra = rng.integers(0, 256, (size, size, pre_bands - 3), np.uint8)
                    tifffile.imwrite(pre_path, np.concatenate([pre, extra], axis=2),
                                     photometric='minisblack', planarconfig='contig')
                else:
                    write_raster(pre_path, pre)
                write_raster(osp.join(folders[1], f'{stem}_post_disaster.tif'),
                             _bright_sar(rng, label))
                write_raster(osp.join(folders[2], f'{stem}_building_damage.tif'), label)
        if with_setlevel:
            with open(osp.join(root, f'{split}_setlevel.txt'), 'w') as f:
                f.writelines(f'{stem}\n' for stem in names[split])
    return dict(root=root, names=names, size=size)
