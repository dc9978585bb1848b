"""Synthetic SARDet-100k- and UBC-V2-format detection data for tests and CPU demos.

Both writers follow the released layouts exactly (COCO json files, folder names, image
formats, band counts and dtypes), so everything downstream of the loaders is exercised:

* SARDet-100k: ``Annotations/{split}.json`` and ``JPEGImages/{split}/`` with JPG, BMP and
  PNG files of several sizes, grey SAR-like images stored with 3 equal channels, six classes.
* UBC-V2 (DFC23 track 1): ``annotations/roof_fine_{split}.json`` (12 roof classes, polygon
  masks) and ``{split}/{rgb,sar,merge}/<id>.tif`` (RGB uint8 HxWx3, SAR float32 HxW of
  linear backscatter, merge float32 HxWx4 = R, G, B (0-255), SAR, as the DFC23
  ``make_merge.py`` writes it).

Objects are bright rectangles on speckled dark clutter, so a tiny model can learn them.
"""
import json
import os
import os.path as osp

import cv2
import numpy as np
import tifffile

from mars.datasets.sardet import SARDET_CLASSES
from mars.datasets.ubcv2 import UBCV2_FINE_CLASSES

# (height, width, suffix) cycled over the SARDet images: the release mixes all three.
SARDET_SHAPES = ((128, 128, '.jpg'), (96, 128, '.bmp'), (128, 96, '.png'))
# UBC-V2 SAR is float32 linear backscatter (about 0.26 +- 0.6): synthetic 0-255-like
# brightness is divided by this.
UBCV2_SAR_SCALE = 150.0


def write_json(path, content):
    """Write ``content`` as json to ``path`` atomically (temporary file, then rename)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f'{path}.tmp{os.getpid()}'
    try:
        with open(tmp, 'w') as f:
            json.dump(content, f)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def _categories(names, rng=None):
    """COCO categories with ids 1..N, or, given ``rng``, shuffled ids listed in shuffled
    order (what category mapping by name must survive)."""
    ids = list(range(1, len(names) + 1))
    if rng is not None:
        ids = [int(i) for i in rng.permutation(ids)]
    categories = [dict(id=i, name=name, supercategory='object') for i, name in zip(ids, names)]
    if rng is not None:
        categories = [categories[i] for i in rng.permutation(len(categories))]
    return categories


def _clutter(rng, height, width):
    """Dark speckled background (float32)."""
    return rng.gamma(2.0, 12.0, (height, width)).astype(np.float32)


def _boxes(rng, height, width, count, min_side=16, max_side=40):
    """``count`` non-overlapping ``[x, y, w, h]`` boxes inside the image (greedy draws)."""
    boxes = []
    for _ in range(count * 20):
        if len(boxes) == count:
            break
        w, h = (int(v) for v in rng.integers(min_side, max_side + 1, 2))
        x, y = int(rng.integers(2, width - w - 2)), int(rng.integers(2, height - h - 2))
        if all(x + w + 2 < bx or bx + bw + 2 < x or y + h + 2 < by or by + bh + 2 < y
               for bx, by, bw, bh in boxes):
            boxes.append([x, y, w, h])
    return boxes


def _coco(images, annotations, categories):
    return dict(info=dict(description='synthetic'), images=images, annotations=annotations,
                categories=categories)


def make_synthetic_sardet(root, splits=dict(train=4, val=3, test=3), seed=0,
                          shuffle_category_ids=False, classes=SARDET_CLASSES[:2]):
    """Write a SARDet-100k-layout dataset under ``root``.

    Args:
        root (str | Path): Dataset root (created).
        splits (dict[str, int]): Images per split. Defaults to 4 train, 3 val, 3 test.
        seed (int): Random seed. Defaults to 0.
        shuffle_category_ids (bool): Give the categories shuffled ids, listed in shuffled
            order (all six class names are always listed). Defaults to False.
        classes (Sequence[str]): Class names objects are drawn from, each object's class
            is also encoded by its brightness so it can be learned. Defaults to ship and
            aircraft.

    Returns:
        dict: ``{split: annotation file path}``.
    """
    rng = np.random.default_rng(seed)
    categories = _categories(SARDET_CLASSES, rng if shuffle_category_ids else None)
    name_to_id = {c['name']: c['id'] for c in categories}
    ann_files = {}
    for split, count in splits.items():
        images, annotations = [], []
        for index in range(count):
            height, width, suffix = SARDET_SHAPES[index % len(SARDET_SHAPES)]
            image_id = len(images) + 1
            img = _clutter(rng, height, width)
            for k, (x, y, w, h) in enumerate(_boxes(rng, height, width, 1 + index % 2)):
                label = k % len(classes)
                img[y:y + h, x:x + w] = 230 - 70 * label + rng.normal(0, 5, (h, w))
                annotations.append(dict(
                    id=len(annotations) + 1, image_id=image_id,
                    category_id=name_to_id[classes[label]], bbox=[x, y, w, h], area=w * h,
                    iscrowd=0))
            file_name = f'{split}_{index:04d}{suffix}'
            grey = np.clip(img, 0, 255).astype(np.uint8)
            path = osp.join(str(root), 'JPEGImages', split, file_name)
            os.makedirs(osp.dirname(path), exist_ok=True)
            # SARDet-100k stores its SAR as 3 equal channels.
            cv2.imwrite(path, np.repeat(grey[..., None], 3, axis=2))
            images.append(dict(id=image_id, file_name=file_name, height=height, width=width))
        ann_files[split] = osp.join(str(root), 'Annotations', f'{split}.json')
        write_json(ann_files[split], _coco(images, annotations, categories))
    return ann_files


def _polygon(x, y, w, h):
    """COCO polygon of a box, clockwise from the top-left corner."""
    return [[x, y, x + w, y, x + w, y + h, x, y + h]]


def make_synthetic_ubcv2(root, splits=dict(train=4, val=2), size=64, seed=0,
                         shuffle_category_ids=False):
    """Write a UBC-V2 (DFC23 track 1)-layout dataset under ``root``.

    Buildings are bright roofs in RGB and strong returns in SAR, with polygon masks and
    fine roof classes (drawn from the first two, so a tiny model can learn them).

    Args:
        root (str | Path): Dataset root (created).
        splits (dict[str, int]): Tiles per split. Defaults to 4 train, 2 val.
        size (int): Tile side (512 in the release). Defaults to 64.
        seed (int): Random seed. Defaults to 0.
        shuffle_category_ids (bool): Shuffled category ids and order. Defaults to False.

    Returns:
        dict: ``{split: fine annotation file path}``.
    """
    rng = np.random.default_rng(seed)
    categories = _categories(UBCV2_FINE_CLASSES, rng if shuffle_category_ids else None)
    name_to_id = {c['name']: c['id'] for c in categories}
    ann_files = {}
    for split, count in splits.items():
        images, annotations = [], []
        for index in range(count):
            image_id = len(images) + 1
            rgb = np.stack([_clutter(rng, size, size) + 40 for _ in range(3)], -1)
            sar = _clutter(rng, size, size)
            boxes = _boxes(rng, size, size, 1 + index % 2, min_side=10,
                           max_side=max(12, size // 3))
            for k, (x, y, w, h) in enumerate(boxes):
                roof = UBCV2_FINE_CLASSES[k % 2]
                rgb[y:y + h, x:x + w] = (200, 180, 160) if k % 2 == 0 else (120, 200, 220)
                sar[y:y + h, x:x + w] = 220 - 60 * (k % 2)
                annotations.append(dict(
                    id=len(annotations) + 1, image_id=image_id, category_id=name_to_id[roof],
                    bbox=[x, y, w, h], area=w * h, iscrowd=0, segmentation=_polygon(x, y, w, h)))
            rgb = np.clip(rgb, 0, 255).astype(np.uint8)
            sar = (np.maximum(sar, 0) / UBCV2_SAR_SCALE).astype(np.float32)
            name = f'P{image_id:04d}.tif'
            merge = np.concatenate([rgb, sar[..., None]], -1, dtype=np.float32)
            for folder, array in (('rgb', rgb), ('sar', sar), ('merge', merge)):
                path = osp.join(str(root), split, folder, name)
                os.makedirs(osp.dirname(path), exist_ok=True)
                if array.ndim == 2 or array.shape[2] == 3:
                    tifffile.imwrite(path, array)
                else:  # pixel-interleaved bands, as GDAL writes a 4-band GeoTIFF
                    tifffile.imwrite(path, array, photometric='minisblack',
                                     planarconfig='contig')
            images.append(dict(id=image_id, file_name=name, height=size, width=size))
        ann_files[split] = osp.join(str(root), 'annotations', f'roof_fine_{split}.json')
        write_json(ann_files[split], _coco(images, annotations, categories))
    return ann_files
