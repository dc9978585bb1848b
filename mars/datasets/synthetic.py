"""Synthetic DeepGlobe-format road data for tests and CPU demos.

The files follow the real release exactly (``<id>_sat.jpg`` RGB JPEG, ``<id>_mask.png``
3-channel 0/255 PNG, split files of ids), so everything downstream of the loader is
exercised. The content is made to be *learnable quickly*: fields of saturated greens and
browns with mild texture, crossed by 3-8 px asphalt-grey roads covering about 5-15 % of the
tile, so a tiny model trained for minutes on a CPU reaches a clearly non-zero road IoU.
"""
import os
import os.path as osp

import cv2
import numpy as np

# Field colours (RGB): crops, grass, forest, bare soil, dry grass. All clearly saturated, so
# that grey roads differ from them in colour, not only in brightness.
FIELD_COLOURS = np.array([
    [84, 130, 53], [120, 160, 70], [46, 90, 40], [150, 110, 70], [180, 160, 95]],
    dtype=np.float32)
ROAD_GREY = 125.0
ROAD_WIDTH_RANGE = (3, 8)
ROAD_FRACTION_RANGE = (0.05, 0.13)
MAX_ROADS = 8
JPEG_QUALITY = 95


def _field_background(rng, size):
    """Patchwork of rectangular fields with per-field tint and pixel noise (float RGB)."""
    img = np.empty((size, size, 3), np.float32)
    img[:] = FIELD_COLOURS[rng.integers(len(FIELD_COLOURS))]
    for _ in range(rng.integers(3, 9)):
        y0, x0 = rng.integers(0, size, 2)
        h, w = rng.integers(size // 6, size // 2 + 1, 2)
        tint = FIELD_COLOURS[rng.integers(len(FIELD_COLOURS))] + rng.normal(0, 8, 3)
        img[y0:y0 + h, x0:x0 + w] = tint
    # Low-frequency shading plus fine noise: texture a model must learn to ignore.
    shading = cv2.resize(rng.normal(0, 10, (4, 4)).astype(np.float32), (size, size))
    img += shading[..., None] + rng.normal(0, 6, img.shape).astype(np.float32)
    return img


def _road_points(rng, size):
    """Points of one straight or gently curved road crossing the whole tile."""
    # Enter on one side and leave on another, so roads look like roads, not blobs.
    sides = rng.choice(4, 2, replace=False)
    ends = []
    for side in sides:
        t = rng.uniform(0.1, 0.9) * (size - 1)
        ends.append({0: (t, 0), 1: (size - 1, t), 2: (t, size - 1), 3: (0, t)}[int(side)])
    (x0, y0), (x1, y1) = ends
    # A quadratic Bezier with a small control offset gives a gentle curve (0: straight).
    bend = rng.uniform(-0.15, 0.15) * size if rng.random() < 0.5 else 0.0
    cx, cy = (x0 + x1) / 2 + bend, (y0 + y1) / 2 - bend
    t = np.linspace(0, 1, 32)[:, None]
    points = (1 - t)**2 * [x0, y0] + 2 * (1 - t) * t * [cx, cy] + t**2 * [x1, y1]
    return np.round(points).astype(np.int32)


def _road_mask(rng, size):
    """Boolean road mask of roads drawn until a target coverage (5-13 %) is reached."""
    target = rng.uniform(*ROAD_FRACTION_RANGE)
    mask = np.zeros((size, size), np.uint8)
    # Tiny test tiles get thinner roads, or a single road would exceed the coverage range.
    max_width = min(ROAD_WIDTH_RANGE[1], max(ROAD_WIDTH_RANGE[0], size // 16))
    for _ in range(MAX_ROADS):
        width = int(rng.integers(ROAD_WIDTH_RANGE[0], max_width + 1))
        cv2.polylines(mask, [_road_points(rng, size)], False, 1, thickness=width)
        if mask.mean() >= target:
            break
    return mask.astype(bool)


def make_synthetic_tile(rng, size):
    """One synthetic tile.

    Args:
        rng (np.random.Generator): Random generator.
        size (int): Tile height and width in pixels.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(image, road)``: uint8 RGB ``HxWx3`` and bool
        ``HxW``.
    """
    img = _field_background(rng, size)
    road = _road_mask(rng, size)
    asphalt = ROAD_GREY + rng.normal(0, 10) + rng.normal(0, 5, (size, size, 1))
    img[road] = np.broadcast_to(asphalt, img.shape)[road]
    # A slight blur softens road edges the way a real sensor's point-spread function does.
    img = cv2.GaussianBlur(img, (3, 3), 0.6)
    return np.clip(img, 0, 255).astype(np.uint8), road


def _write_split(root, split, ids, size, seed):
    """Write the tiles of one split into ``root/train/`` and the split's id file."""
    folder = osp.join(root, 'train')
    os.makedirs(folder, exist_ok=True)
    for index, tile_id in enumerate(ids):
        # One generator per tile: any tile can be regenerated alone, whatever the counts.
        rng = np.random.default_rng([seed, 0 if split == 'train' else 1, index])
        img, road = make_synthetic_tile(rng, size)
        cv2.imwrite(osp.join(folder, f'{tile_id}_sat.jpg'), img[..., ::-1],
                    [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        mask = np.repeat((road * 255).astype(np.uint8)[..., None], 3, axis=2)
        cv2.imwrite(osp.join(folder, f'{tile_id}_mask.png'), mask)
    split_file = osp.join(root, f'{split}.txt')
    with open(split_file, 'w') as f:
        f.writelines(f'{tile_id}\n' for tile_id in ids)
    return folder, split_file


def make_synthetic_deepglobe(root, num_train=8, num_test=4, size=256, seed=0):
    """Write a synthetic dataset in the DeepGlobe road layout.

    Layout as the release's labelled ``train`` folder with the common id split:
    ``root/train/<id>_sat.jpg`` (RGB JPEG), ``root/train/<id>_mask.png`` (3-channel PNG,
    255 road / 0 background), and ``root/{train,test}.txt`` listing the ids of each split.
    The output depends only on the arguments.

    Args:
        root (str): Output folder (created if needed).
        num_train (int): Training tiles. Defaults to 8.
        num_test (int): Test tiles. Defaults to 4.
        size (int): Tile height and width in pixels. Defaults to 256.
        seed (int): Random seed. Defaults to 0.

    Returns:
        dict: ``root``, ``img_dir``, ``train_split``, ``test_split``,
        ``num_train``, ``num_test``, ``size`` and ``ids`` (``{'train': [...], 'test':
        [...]}``).
    """
    root = str(root)
    # Numeric ids like the real release's; train and test ranges never collide.
    ids = dict(train=[str(100 + i) for i in range(num_train)],
               test=[str(900000 + i) for i in range(num_test)])
    img_dir, train_split = _write_split(root, 'train', ids['train'], size, seed)
    _, test_split = _write_split(root, 'test', ids['test'], size, seed)
    return dict(
        root=root, img_dir=img_dir, train_split=train_split,
        test_split=test_split, num_train=num_train, num_test=num_test, size=size, ids=ids)
