"""Synthetic DeepGlobe-, EarthMiss- and UBC-height-format data for tests and CPU demos.

Each writer follows its real release exactly (file names, folders, formats, dtypes, band
counts, label codes), so everything downstream of the loaders is exercised; the content is
made to be *learnable quickly* by a tiny model on a CPU:

* DeepGlobe (``make_synthetic_deepglobe``): ``<id>_sat.jpg`` RGB JPEG and ``<id>_mask.png``
  3-channel 0/255 PNG with split files of ids. Fields of saturated greens and browns with
  mild texture, crossed by 3-8 px asphalt-grey roads covering about 5-15 % of the tile.
* EarthMiss (``make_synthetic_earthmiss``): per-city ``images/RGB``, ``images/SAR`` and
  ``masks`` folders (TIFF or PNG, uint8 or uint16 SAR). Some classes are visible mostly in
  RGB, others mostly in SAR, so single-modality models confuse different classes.
* UBC height, DFC23 track 2 (``make_synthetic_ubc_height``): ``<split>/{rgb,sar,height}``
  TIFFs, float32 SAR and heights in metres, optional NaN nodata pixels.

``random_rect`` and ``write_raster`` are shared with the change-detection writers
(:mod:`mars.testing.synthetic_change`).
"""
import os
import os.path as osp
import zlib

import cv2
import numpy as np
import tifffile

from mars.datasets.earthmiss import EARTHMISS_CITIES

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


# --- EarthMiss (RGB + SAR land cover) -------------------------------------------------------

# Mask codes of the release: 0 no label, then the 8 classes.
EM_IGNORE, EM_BACKGROUND, EM_BUILDING, EM_ROAD, EM_WATER = 0, 1, 2, 3, 4
EM_BARREN, EM_FOREST, EM_AGRICULTURAL, EM_PLAYGROUND = 5, 6, 7, 8
# Per class (indexed by mask code): mean RGB colour and mean SAR backscatter (uint8 scale).
# Building and Road look like the background in RGB but not in SAR (double-bounce bright,
# specular dark); Water, Forest and Agricultural are distinct colours with background-like
# backscatter; Barren and Playground differ in both. RGB-only and SAR-only models therefore
# confuse different classes, and fusing both is needed to get all eight right.
EM_RGB = np.array([
    [0, 0, 0], [140, 135, 125], [143, 137, 127], [137, 133, 124], [40, 75, 135],
    [185, 165, 125], [45, 100, 45], [150, 185, 85], [175, 85, 70]], dtype=np.float32)
EM_SAR = np.array([0, 90, 230, 25, 90, 55, 90, 90, 150], dtype=np.float32)
EM_SAR_LOOKS = 8  # speckle: multiplicative Gamma(L, 1/L), as an L-look intensity image
EM_SAR_UINT16_SCALE = 64  # uint16 SAR spans ~0-16k, like calibrated amplitude products
EM_IGNORE_FRACTION = 0.03
# Cities of the tiny test copy (two per official split), see tests/conftest.py.
TINY_EARTHMISS_CITIES = dict(
    train=('America-Eugene', 'Nanjing'), val=('Australia-PortHedland', 'Russian-Engels'),
    test=('America-NewYork', 'Peru-Callao'))


def random_rect(rng, size, min_frac, max_frac):
    """``(y0, y1, x0, x1)`` of a random rectangle with sides in ``[min, max] * size``."""
    h, w = (rng.uniform(min_frac, max_frac, 2) * size).astype(int) + 1
    y0, x0 = rng.integers(0, size - h + 1), rng.integers(0, size - w + 1)
    return y0, y0 + h, x0, x0 + w


def _earthmiss_label(rng, size):
    """Mask codes (uint8, 0-8): land-cover patches, buildings, roads and an ignore patch."""
    label = np.full((size, size), EM_BACKGROUND, np.uint8)
    for code in (EM_WATER, EM_FOREST, EM_AGRICULTURAL, EM_BARREN, EM_PLAYGROUND):
        for _ in range(rng.integers(0, 3)):
            y0, y1, x0, x1 = random_rect(rng, size, 0.15, 0.4)
            label[y0:y1, x0:x1] = code
    for _ in range(rng.integers(3, 10)):
        y0, y1, x0, x1 = random_rect(rng, size, 0.06, 0.16)
        label[y0:y1, x0:x1] = EM_BUILDING
    width = max(2, size // 30)
    for _ in range(rng.integers(1, 3)):
        cv2.polylines(label, [_road_points(rng, size)], False, EM_ROAD, thickness=width)
    # Unlabelled pixels exist in the release too (code 0): one small patch per tile.
    side = max(1, int(size * np.sqrt(EM_IGNORE_FRACTION)))
    y0, x0 = rng.integers(0, size - side + 1, 2)
    label[y0:y0 + side, x0:x0 + side] = EM_IGNORE
    return label


def _earthmiss_rgb(rng, label):
    """uint8 RGB: class colours with per-tile tint, low-frequency shading and noise."""
    size = label.shape[0]
    # Ignore pixels get the background colour: they are unlabelled, not empty.
    codes = np.where(label == EM_IGNORE, EM_BACKGROUND, label)
    img = EM_RGB[codes] + rng.normal(0, 6, 3).astype(np.float32)
    shading = cv2.resize(rng.normal(0, 8, (4, 4)).astype(np.float32), (size, size))
    img += shading[..., None] + rng.normal(0, 7, img.shape).astype(np.float32)
    img = cv2.GaussianBlur(img, (3, 3), 0.6)
    return np.clip(img, 0, 255).astype(np.uint8)


def _earthmiss_sar(rng, label, dtype):
    """Single-band SAR: class backscatter times multiplicative speckle (uint8 or uint16)."""
    codes = np.where(label == EM_IGNORE, EM_BACKGROUND, label)
    speckle = rng.gamma(EM_SAR_LOOKS, 1 / EM_SAR_LOOKS, label.shape).astype(np.float32)
    sar = EM_SAR[codes] * speckle
    if dtype == 'uint16':
        return np.clip(sar * EM_SAR_UINT16_SCALE, 0, 65535).astype(np.uint16)
    return np.clip(sar, 0, 255).astype(np.uint8)


def write_raster(path, array):
    """Write ``array`` as TIFF (tifffile) or PNG (OpenCV, stored as the file's RGB)."""
    if path.endswith('.tif'):
        photometric = 'rgb' if array.ndim == 3 else 'minisblack'
        tifffile.imwrite(path, array, photometric=photometric)
    else:
        cv2.imwrite(path, array[..., ::-1] if array.ndim == 3 else array)


def make_synthetic_earthmiss(root, cities=None, tiles_per_city=4, size=256, seed=0,
                             fmt='tif', sar_dtype='uint8'):
    """Write a synthetic dataset in the EarthMiss layout.

    ``root/<City>/images/RGB/<name>.<fmt>`` (uint8 HxWx3), ``.../images/SAR/<name>_SAR.<fmt>``
    (uint8 or uint16 HxW) and ``root/<City>/masks/<name>_mask.<fmt>`` (uint8, 0 no label,
    1-8 the classes, ~3 % zeros). Some classes are visible mostly in RGB, others mostly in
    SAR (see ``EM_RGB`` / ``EM_SAR``), so single-modality models score differently. The
    output depends only on the arguments, and each tile only on ``seed``, its city and its
    index.

    Args:
        root (str): Output folder (created if needed).
        cities (Sequence[str], optional): City folders to write. Defaults to None: all
            official cities of every split.
        tiles_per_city (int): Tiles per city. Defaults to 4.
        size (int): Tile height and width in pixels. Defaults to 256.
        seed (int): Random seed. Defaults to 0.
        fmt (str): ``'tif'`` or ``'png'``. Defaults to 'tif'.
        sar_dtype (str): ``'uint8'`` or ``'uint16'``. Defaults to 'uint8'.

    Returns:
        dict: ``root``, ``cities``, ``names`` (``{city: [name, ...]}``), ``size``, ``fmt``.
    """
    if fmt not in ('tif', 'png'):
        raise ValueError(f"fmt must be 'tif' or 'png', got {fmt!r}")
    if sar_dtype not in ('uint8', 'uint16'):
        raise ValueError(f"sar_dtype must be 'uint8' or 'uint16', got {sar_dtype!r}")
    root = str(root)
    if cities is None:
        cities = [city for split in EARTHMISS_CITIES.values() for city in split]
    names = {}
    for city in cities:
        folders = [osp.join(root, city, sub) for sub in ('images/RGB', 'images/SAR', 'masks')]
        for folder in folders:
            os.makedirs(folder, exist_ok=True)
        city_key = zlib.crc32(city.encode())
        names[city] = [f'{city_key % 1000:03d}{index:03d}' for index in range(tiles_per_city)]
        for index, name in enumerate(names[city]):
            rng = np.random.default_rng([seed, city_key, index])
            label = _earthmiss_label(rng, size)
            write_raster(osp.join(folders[0], f'{name}.{fmt}'), _earthmiss_rgb(rng, label))
            write_raster(osp.join(folders[1], f'{name}_SAR.{fmt}'),
                         _earthmiss_sar(rng, label, sar_dtype))
            write_raster(osp.join(folders[2], f'{name}_mask.{fmt}'), label)
    return dict(root=root, cities=list(cities), names=names, size=size, fmt=fmt)


# --- UBC building height (DFC23 track 2: RGB + SAR -> height in metres) --------------------

UBC_HEIGHT_RANGE = (3.0, 60.0)  # building heights in metres; ground is 0
UBC_GROUND_RGB = np.array([110, 120, 95], dtype=np.float32)
UBC_SAR_GROUND = 40.0
# The release's SAR is float32 linear backscatter (about 0.26 +- 0.6): the synthetic
# brightness (0-255-like) is divided by this to land on that scale.
UBC_SAR_SCALE = 150.0


def _ubc_height_map(rng, size):
    """float32 height map: 0 ground with 3-12 rectangular buildings of 3-60 m."""
    height = np.zeros((size, size), np.float32)
    for _ in range(rng.integers(3, 13)):
        y0, y1, x0, x1 = random_rect(rng, size, 0.06, 0.2)
        height[y0:y1, x0:x1] = rng.uniform(*UBC_HEIGHT_RANGE)
    return height


def _ubc_rgb(rng, height):
    """uint8 RGB: grey roofs whose shade weakly brightens with height, on green ground."""
    size = height.shape[0]
    img = np.broadcast_to(UBC_GROUND_RGB, (size, size, 3)).copy()
    roof = height > 0
    # Weak correlation: 40 grey levels over the height range plus per-tile tint and noise.
    shade = 120 + 40 * (height - UBC_HEIGHT_RANGE[0]) / np.ptp(UBC_HEIGHT_RANGE)
    img[roof] = shade[roof, None] + rng.normal(0, 10, 3).astype(np.float32)
    img += rng.normal(0, 8, img.shape).astype(np.float32)
    return np.clip(cv2.GaussianBlur(img, (3, 3), 0.6), 0, 255).astype(np.uint8)


def _ubc_sar(rng, height):
    """float32 SAR (linear, release scale): brightness grows with height, with layover
    shifted towards the sensor."""
    size = height.shape[0]
    sar = np.full((size, size), UBC_SAR_GROUND, np.float32)
    sar += 3.0 * height  # taller buildings backscatter more (double bounce)
    # Layover: each building's top is displayed shifted towards near range (left, -x) by
    # about height / 6 pixels, adding a bright band in front of it.
    shift = np.minimum((height / 6).astype(int), size - 1)
    ys, xs = np.nonzero(height > 0)
    sar[ys, np.maximum(xs - shift[ys, xs], 0)] += 2.0 * height[ys, xs]
    speckle = rng.gamma(EM_SAR_LOOKS, 1 / EM_SAR_LOOKS, sar.shape).astype(np.float32)
    return (sar * speckle / UBC_SAR_SCALE).astype(np.float32)


def make_synthetic_ubc_height(root, splits=('train', ), tiles=6, size=64, seed=0,
                              nodata_pixels=0, height_folder='height'):
    """Write a synthetic dataset in the UBC height (DFC23 track 2) layout.

    ``root/<split>/rgb/<id>.tif`` (uint8 HxWx3), ``root/<split>/sar/<id>.tif`` (float32 HxW)
    and ``root/<split>/<height_folder>/<id>.tif`` (float32 HxW metres, 0 ground, buildings
    3-60 m as rectangles). Roof shade in RGB correlates weakly with height; SAR brightness
    and a layover band correlate strongly. ``nodata_pixels`` random pixels per tile are NaN.
    The output depends only on the arguments, each tile only on ``seed``, its split and
    its index.

    Args:
        root (str): Output folder (created if needed).
        splits (Sequence[str]): Splits to write. Defaults to ('train',).
        tiles (int): Tiles per split. Defaults to 6.
        size (int): Tile height and width in pixels (512 in the release). Defaults to 64.
        seed (int): Random seed. Defaults to 0.
        nodata_pixels (int): NaN pixels per height map. Defaults to 0.
        height_folder (str): ``'height'`` or ``'dsm'``. Defaults to 'height'.

    Returns:
        dict: ``root``, ``ids`` (``{split: [id, ...]}``), ``size``.
    """
    root = str(root)
    ids = {}
    for split_index, split in enumerate(splits):
        folders = [osp.join(root, split, sub) for sub in ('rgb', 'sar', height_folder)]
        for folder in folders:
            os.makedirs(folder, exist_ok=True)
        ids[split] = [f'{split}_{index:04d}' for index in range(tiles)]
        split_key = zlib.crc32(split.encode())
        for index, tile_id in enumerate(ids[split]):
            rng = np.random.default_rng([seed, split_key, index])
            height = _ubc_height_map(rng, size)
            write_raster(osp.join(folders[0], f'{tile_id}.tif'), _ubc_rgb(rng, height))
            write_raster(osp.join(folders[1], f'{tile_id}.tif'), _ubc_sar(rng, height))
            if nodata_pixels:
                flat = rng.choice(size * size, nodata_pixels, replace=False)
                height.reshape(-1)[flat] = np.nan
            tifffile.imwrite(osp.join(folders[2], f'{tile_id}.tif'), height,
                             photometric='minisblack')
    return dict(root=root, ids=ids, size=size)
