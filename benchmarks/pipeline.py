"""Multi-modal data pipeline (RGB + SAR TIFFs) vs mmseg's RGB pipeline (PNG): samples/s.

Both pipelines augment the same 1024x1024 tiles the same way (RandomCrop 512 with
``cat_max_ratio``, RandomFlip, PhotoMetricDistortion on the optical channels, packing):

* ours: ``LoadMultiModalImages`` (RGB TIFF + SAR TIFF -> float32 4-channel stack),
  ``LoadRSAnnotations`` (mask TIFF), ..., ``ModalitySliceTransform`` (photometric on RGB),
  ``PackMultiModalSegInputs``;
* mmseg: ``LoadImageFromFile`` (RGB PNG, uint8) + ``LoadAnnotations`` (mask PNG), ...,
  ``PhotoMetricDistortion``, ``PackSegInputs``.

Ours reads one more modality. Samples alternate between the pipelines (and which goes first
alternates too), with the same tiles and the same count, so machine load affects both
alike. Tiles are written to a temporary folder. Prints JSON.

    python benchmarks/pipeline.py [--tiles 8] [--rounds 4] [--size 1024] [--crop 512]
"""
import argparse
import json
import os.path as osp
import platform
import statistics
import tempfile
import time

import cv2
import numpy as np
from mmengine.registry import init_default_scope
from mmseg.registry import TRANSFORMS

from mars.testing import make_synthetic_earthmiss
from mars.datasets.transforms import read_image


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--tiles', type=int, default=8)
    parser.add_argument('--rounds', type=int, default=4, help='passes over the tiles')
    parser.add_argument('--size', type=int, default=1024)
    parser.add_argument('--crop', type=int, default=512)
    parser.add_argument('--compression', default=None,
                        help="TIFF compression of our tiles, e.g. 'zlib' (default none)")
    return parser.parse_args()


def augmentations(crop, photometric):
    return [
        dict(type='RandomCrop', crop_size=(crop, crop), cat_max_ratio=0.75),
        dict(type='RandomFlip', prob=0.5), photometric
    ]


def build(cfgs):
    transforms = [TRANSFORMS.build(cfg) for cfg in cfgs]

    def run(results):
        for transform in transforms:
            results = transform(results)
        return results

    return run


def write_tiles(root, args):
    """EarthMiss-layout TIFF tiles, plus PNG copies of RGB and mask for mmseg's loaders."""
    info = make_synthetic_earthmiss(root, cities=['Nanjing'], tiles_per_city=args.tiles,
                                    size=args.size)
    city = osp.join(root, 'Nanjing')
    samples = []
    for name in info['names']['Nanjing']:
        paths = dict(rgb=osp.join(city, 'images', 'RGB', f'{name}.tif'),
                     sar=osp.join(city, 'images', 'SAR', f'{name}_SAR.tif'),
                     mask=osp.join(city, 'masks', f'{name}_mask.tif'))
        if args.compression:
            import tifffile
            for key, path in paths.items():
                array = read_image(path)
                tifffile.imwrite(path, array, compression=args.compression,
                                 photometric='rgb' if array.ndim == 3 else 'minisblack')
        png = dict(rgb=paths['rgb'][:-4] + '.png', mask=paths['mask'][:-4] + '.png')
        cv2.imwrite(png['rgb'], read_image(paths['rgb'])[..., ::-1])
        cv2.imwrite(png['mask'], read_image(paths['mask']))
        samples.append((paths, png))
    return samples


def ours_input(paths):
    return dict(modality_paths=dict(rgb=paths['rgb'], sar=paths['sar']),
                seg_map_path=paths['mask'], reduce_zero_label=True, seg_fields=[])


def mmseg_input(png):
    return dict(img_path=png['rgb'], seg_map_path=png['mask'], reduce_zero_label=True,
                seg_fields=[])


def timed(pipeline, results):
    start = time.perf_counter()
    out = pipeline(results)
    elapsed = time.perf_counter() - start
    assert out['inputs'].shape[-2:] == out['data_samples'].gt_sem_seg.shape
    return elapsed


def main():
    args = parse_args()
    init_default_scope('mmseg')
    ours = build([dict(type='LoadMultiModalImages'), dict(type='LoadRSAnnotations')]
                 + augmentations(args.crop, dict(
                     type='ModalitySliceTransform', modality='rgb',
                     transforms=[dict(type='PhotoMetricDistortion')]))
                 + [dict(type='PackMultiModalSegInputs')])
    mmseg = build([dict(type='LoadImageFromFile'),
                   dict(type='LoadAnnotations', reduce_zero_label=True)]
                  + augmentations(args.crop, dict(type='PhotoMetricDistortion'))
                  + [dict(type='PackSegInputs')])
    with tempfile.TemporaryDirectory() as root:
        samples = write_tiles(root, args)
        # One untimed pass each: file cache and lazy imports warm for both.
        for paths, png in samples:
            timed(ours, ours_input(paths))
            timed(mmseg, mmseg_input(png))
        times = dict(ours=[], mmseg=[])
        np.random.seed(0)
        for round_index in range(args.rounds):
            for index, (paths, png) in enumerate(samples):
                runs = [('ours', ours, ours_input(paths)), ('mmseg', mmseg, mmseg_input(png))]
                if (round_index + index) % 2:
                    runs.reverse()
                for key, pipeline, results in runs:
                    times[key].append(timed(pipeline, results))
    report = dict(
        machine=platform.processor() or platform.machine(), tiles=args.tiles,
        size=args.size, crop=args.crop, samples=len(times['ours']),
        tiff_compression=args.compression)
    for key, values in times.items():
        report[key] = dict(samples_per_s=round(len(values) / sum(values), 2),
                           median_ms=round(1000 * statistics.median(values), 2))
    report['speedup_ours_vs_mmseg'] = round(
        report['ours']['samples_per_s'] / report['mmseg']['samples_per_s'], 3)
    print(json.dumps(report))


if __name__ == '__main__':
    main()
