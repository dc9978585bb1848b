"""Cut co-registered RGB and SAR scenes into MaRS-16M patch pairs.

Usage::

    python tools/dataset_converters/split_patch.py RGB_DIR SAR_DIR OUT_DIR \
        [--patch-size 1024] [--max-zero-ratio 0.3] [--nproc 8] [--compression zlib]

Every ``RGB_DIR/<scene>.tif`` is paired with ``SAR_DIR/<scene>.tif`` (same name, same
height and width, else an error naming the scene) and cut into ``patch_size`` squares
written as ``OUT_DIR/{rgb,sar}/<scene>_<y>_<x>.tif`` (``y``, ``x``: the patch's top-left
pixel). Use ``OUT_DIR = <MaRS-16M root>/Umbra_patches`` (or ``Capella_patches``).

* Patches start every ``patch_size`` pixels; the last row and column are aligned to the
  bottom / right edge (overlapping their neighbour) so the whole scene is covered.
* Pairs whose SAR patch has more than ``--max-zero-ratio`` zero pixels (no data) are
  skipped.
* Scenes are read window by window (only the strips / tiles of one row of patches are
  decoded, via :class:`mars.utils.geotiff.GeoTiffReader`), so scenes larger than memory
  work; rows of patches are processed by ``--nproc`` processes.
* Resumable: pairs already written are skipped (a row whose pairs all exist is not read).
  Each file is written under a temporary name and renamed, SAR first, so an interrupted
  run leaves no half-written patch and never an RGB patch without its SAR. The
  temporaries (``<patch>.tif.tmp-<pid>``) that a killed run left for the patches of these
  scenes are removed (and listed) when the next run starts, unless their process still
  runs.
* RGB keeps its first 3 bands; SAR must have 1. Dtypes are kept (uint8 / uint16). The
  GeoTIFF tags are copied with the origin moved to the patch's corner.
"""
import argparse
import json
import os
import os.path as osp
import re
from multiprocessing import Pool

import numpy as np
import tifffile
from mmengine.utils import ProgressBar

from mars.utils.geotiff import GeoTiffReader, geotiff_extratags
from mars.utils.output_files import remove_leftover_tmp

SUFFIXES = ('.tif', '.tiff')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Cut RGB / SAR scenes into patch pairs')
    parser.add_argument('rgb_dir', help='folder of RGB scenes (GeoTIFF)')
    parser.add_argument('sar_dir', help='folder of the SAR scenes, same file names')
    parser.add_argument('out_dir', help='output folder; gets rgb/ and sar/')
    parser.add_argument('--patch-size', type=int, default=1024)
    parser.add_argument('--max-zero-ratio', type=float, default=0.3,
                        help='skip pairs whose SAR patch has more zeros than this')
    parser.add_argument('--nproc', type=int, default=min(8, os.cpu_count() or 1),
                        help='worker processes')
    parser.add_argument('--compression', default='zlib',
                        help='TIFF compression of the patches (e.g. zlib, lzw, zstd, none)')
    return parser.parse_args(argv)


def patch_starts(length, patch_size):
    """Starts of the patches along an axis: every ``patch_size``, the last edge-aligned."""
    if length < patch_size:
        return []
    starts = list(range(0, length - patch_size + 1, patch_size))
    if starts[-1] + patch_size < length:
        starts.append(length - patch_size)
    return starts


def find_scenes(rgb_dir, sar_dir, patch_size):
    """``[(name, rgb_path, sar_path, height, width)]``; errors name the scene."""
    names = sorted(n for n in os.listdir(rgb_dir) if n.lower().endswith(SUFFIXES))
    if not names:
        raise FileNotFoundError(f'no .tif scenes in {rgb_dir}')
    scenes = []
    for name in names:
        rgb_path, sar_path = osp.join(rgb_dir, name), osp.join(sar_dir, name)
        if not osp.isfile(sar_path):
            raise FileNotFoundError(f'scene {name}: no SAR scene {sar_path} for {rgb_path}')
        with GeoTiffReader(rgb_path) as rgb, GeoTiffReader(sar_path) as sar:
            if rgb.shape[:2] != sar.shape[:2]:
                raise ValueError(f'scene {name}: RGB {rgb_path} is {rgb.height}x{rgb.width} '
                                 f'but SAR {sar_path} is {sar.height}x{sar.width} (HxW)')
            if rgb.channels < 3:
                raise ValueError(f'scene {name}: RGB {rgb_path} has {rgb.channels} bands, '
                                 f'expected at least 3')
            if sar.channels != 1:
                raise ValueError(f'scene {name}: SAR {sar_path} has {sar.channels} bands, '
                                 f'expected 1')
            if min(rgb.shape[:2]) < patch_size:
                print(f'scene {name}: {rgb.height}x{rgb.width} is smaller than the '
                      f'{patch_size} patch, skipped')
            scenes.append((name, rgb_path, sar_path, rgb.height, rgb.width))
    return scenes


def patch_geo_tags(geo_tags, x, y):
    """``geo_tags`` with the raster origin moved to pixel ``(x, y)``."""
    tags = dict(geo_tags)
    if 34264 in tags:  # ModelTransformation: affine, translate its offsets
        m = list(tags[34264])
        m[3] += m[0] * x + m[1] * y
        m[7] += m[4] * x + m[5] * y
        tags[34264] = tuple(m)
    elif 33922 in tags and 33550 in tags:  # ModelTiepoint + ModelPixelScale
        i, j, k, tx, ty, tz = tags[33922][:6]
        sx, sy = tags[33550][:2]
        tags[33922] = (0.0, 0.0, k, tx + (x - i) * sx, ty - (y - j) * sy, tz)
    return tags


def write_atomic(path, array, reader, x, y, compression):
    """Write ``array`` as ``path`` through a temporary name in the same folder."""
    tmp = f'{path}.tmp-{os.getpid()}'
    try:
        tifffile.imwrite(
            tmp, array, photometric='rgb' if array.ndim == 3 else 'minisblack',
            compression=None if compression == 'none' else compression,
            extratags=geotiff_extratags(patch_geo_tags(reader.geo_tags, x, y),
                                        reader.nodata))
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def split_row(task):
    """Cut one row of patches of one scene; returns counts ``written``, ``existing``,
    ``zero_sar``."""
    name, rgb_path, sar_path, y, width, args = task
    stem = osp.splitext(name)[0]
    counts = dict(written=0, existing=0, zero_sar=0)
    todo = []
    for x in patch_starts(width, args.patch_size):
        patch = f'{stem}_{y}_{x}.tif'
        paths = [osp.join(args.out_dir, m, patch) for m in ('sar', 'rgb')]
        if all(osp.isfile(p) for p in paths):
            counts['existing'] += 1
        else:
            todo.append((x, paths))
    if not todo:
        return counts
    size = args.patch_size
    with GeoTiffReader(rgb_path) as rgb, GeoTiffReader(sar_path) as sar:
        sar_rows = sar.read(y, 0, size, width)
        rgb_rows = rgb.read(y, 0, size, width)[..., :3]
        for x, (sar_out, rgb_out) in todo:
            sar_patch = sar_rows[:, x:x + size]
            if np.count_nonzero(sar_patch == 0) > args.max_zero_ratio * sar_patch.size:
                counts['zero_sar'] += 1
                continue
            # SAR first: an interrupted pair never leaves an RGB patch without its SAR.
            write_atomic(sar_out, np.ascontiguousarray(sar_patch), sar, x, y,
                         args.compression)
            write_atomic(rgb_out, np.ascontiguousarray(rgb_rows[:, x:x + size]), rgb, x, y,
                         args.compression)
            counts['written'] += 1
    return counts


def main(argv=None):
    args = parse_args(argv)
    if not 0 <= args.max_zero_ratio <= 1:
        raise ValueError(f'--max-zero-ratio must be in [0, 1], got {args.max_zero_ratio}')
    scenes = find_scenes(args.rgb_dir, args.sar_dir, args.patch_size)
    stems = {osp.splitext(scene[0])[0] for scene in scenes}

    def is_patch(name):  # <scene stem>_<y>_<x>.tif of one of these scenes
        match = re.fullmatch(r'(.+)_\d+_\d+\.tif', name)
        return match is not None and match.group(1) in stems

    for modality in ('rgb', 'sar'):
        os.makedirs(osp.join(args.out_dir, modality), exist_ok=True)
        remove_leftover_tmp(osp.join(args.out_dir, modality), is_patch)
    tasks = [(name, rgb_path, sar_path, y, width, args)
             for name, rgb_path, sar_path, height, width in scenes
             for y in patch_starts(height, args.patch_size)]
    totals = dict(scenes=len(scenes), rows=len(tasks), written=0, existing=0, zero_sar=0)
    progress = ProgressBar(len(tasks))
    with Pool(max(1, args.nproc)) as pool:
        for counts in pool.imap_unordered(split_row, tasks):
            for key, value in counts.items():
                totals[key] += value
            progress.update()
    print('\n' + json.dumps(totals))
    return totals


if __name__ == '__main__':
    main()
