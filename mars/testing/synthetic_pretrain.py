"""Tiny, format-exact MaRS-16M trees and co-registered scenes for tests and demos.

Nothing here is real data: the values are random, but names, folders, dtypes, band counts
and TIFF layouts are those of the real corpus and of the scenes ``split_patch.py`` cuts.
"""
import os
import os.path as osp

import numpy as np
import tifffile

from mars.datasets.mars16m import MODALITY_DIRS
from mars.utils.geotiff import geotiff_extratags, utm_geo_tags

# Source folder -> SAR dtype, as in the real corpus.
MARS16M_SAR_DTYPES = {'Umbra_patches': np.uint8, 'Capella_patches': np.uint16}


def make_synthetic_mars16m(root, pairs_per_source=2, size=64, seed=0,
                           sources=tuple(MARS16M_SAR_DTYPES), unmatched=0):
    """Write ``<root>/<source>/{rgb,sar}/<name>.tif`` pairs.

    RGB is uint8 ``HxWx3``; SAR uint8 (Umbra) or uint16 (Capella) ``HxW``, zlib
    compressed as the patch tool writes them.

    Args:
        root (str | Path): Output root.
        pairs_per_source (int): Pairs per source. Defaults to 2.
        size (int): Patch side. Defaults to 64.
        seed (int): Random seed. Defaults to 0.
        sources (Sequence[str]): Source folders. Defaults to both.
        unmatched (int): Extra RGB files without a SAR partner per source. Defaults to 0.

    Returns:
        list[tuple[str, str]]: ``(source, name)`` of the pairs written.
    """
    rng = np.random.default_rng(seed)
    pairs = []
    for source in sources:
        for modality in MODALITY_DIRS:
            os.makedirs(osp.join(root, source, modality), exist_ok=True)
        dtype = MARS16M_SAR_DTYPES[source]
        high = np.iinfo(dtype).max
        for i in range(pairs_per_source + unmatched):
            name = f'{source.split("_")[0].lower()}_scene{i:03d}_0_0.tif'
            rgb = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            tifffile.imwrite(osp.join(root, source, 'rgb', name), rgb, photometric='rgb',
                             compression='zlib')
            if i >= pairs_per_source:
                continue  # RGB without SAR partner
            sar = rng.integers(1, high, (size, size), dtype=dtype, endpoint=True)
            tifffile.imwrite(osp.join(root, source, 'sar', name), sar,
                             photometric='minisblack', compression='zlib')
            pairs.append((source, name))
    return pairs


def make_synthetic_scene_pair(rgb_path, sar_path, height, width, seed=0,
                              sar_dtype=np.uint16, zero_boxes=(), tile=None,
                              compression='zlib', georef=True):
    """Write a co-registered RGB / SAR scene pair as (Geo)TIFFs.

    The RGB pixel at ``(y, x)`` encodes its position (band 0 ``y % 251``, band 1
    ``x % 251``), so tests can check where a patch was cut from.

    Args:
        rgb_path, sar_path (str): Output files.
        height, width (int): Scene size.
        seed (int): Random seed of the SAR values. Defaults to 0.
        sar_dtype (np.dtype): SAR dtype. Defaults to uint16.
        zero_boxes (Sequence[tuple]): ``(y0, y1, x0, x1)`` SAR regions set to 0 (no data).
        tile (int, optional): Tile side (multiple of 16); None writes strips.
        compression (str, optional): TIFF compression. Defaults to 'zlib'.
        georef (bool): Write GeoTIFF tags (pixel scale, tiepoint, geokeys). Defaults to
            True.

    Returns:
        tuple[np.ndarray, np.ndarray]: The RGB and SAR arrays written.
    """
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[:height, :width]
    rgb = np.stack([rows % 251, cols % 251, (rows + cols) % 251], -1).astype(np.uint8)
    sar = rng.integers(1, np.iinfo(sar_dtype).max, (height, width), dtype=sar_dtype,
                       endpoint=True)
    for y0, y1, x0, x1 in zero_boxes:
        sar[y0:y1, x0:x1] = 0
    # 0.5 m pixels, upper-left corner at (500000, 4000000) in UTM.
    extratags = geotiff_extratags(utm_geo_tags()) if georef else []
    kwargs = dict(compression=compression, extratags=extratags)
    if tile:
        kwargs['tile'] = (tile, tile)
    else:
        kwargs['rowsperstrip'] = 7  # many small strips, as real stripped GeoTIFFs
    tifffile.imwrite(rgb_path, rgb, photometric='rgb', **kwargs)
    tifffile.imwrite(sar_path, sar, photometric='minisblack', **kwargs)
    return rgb, sar
