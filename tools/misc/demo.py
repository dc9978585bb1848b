"""`make demo`: fine-tune tiny MaRS models on synthetic data in real layouts, on the CPU.

Each task writes a small synthetic dataset in the real on-disk layout, trains its demo config
with ``tools/train.py`` (a few CPU minutes), tests the last checkpoint with
``tools/test.py`` (prediction overlays as PNG through ``--show-dir``) and checks the result:

* ``earthmiss`` (default, multi-modal): RGB + SAR land cover where some classes are visible
  mostly in RGB and others mostly in SAR; one test run evaluates both modalities, RGB only
  and SAR only, and the table must show the difference.
* ``deepglobe``: road extraction; the road IoU must beat all-background / all-road.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ROAD_CONFIG = 'configs/road/deepglobe/mars-tiny_upernet_1xb8-300it_deepglobe-demo-128x128.py'
ROAD_DATA = 'data/demo_deepglobe'  # the road demo config's data_root
# The road model must beat the best trivial prediction by this many IoU points.
ROAD_MARGIN = 20.0
LANDCOVER_CONFIG = (
    'configs/landcover/earthmiss/mars-tiny_upernet_1xb8-500it_earthmiss-demo-128x128.py')
LANDCOVER_DATA = 'data/demo_earthmiss'  # the land-cover demo config's data_root
# RGB-only and SAR-only mIoU must differ by this many points: each sees other classes.
MODALITY_GAP = 5.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('task', nargs='?', default='earthmiss',
                        choices=['earthmiss', 'deepglobe'])
    parser.add_argument('--work-dir', help='default: work_dirs/demo_<task>')
    return parser.parse_args()


def run_tool(*args):
    command = [sys.executable, *args]
    print('\n$ ' + ' '.join(command), flush=True)
    subprocess.run(command, check=True, cwd=REPO_ROOT)


def road_iou(matrix):
    from mars.evaluation import confusion_matrix_metrics
    return confusion_matrix_metrics(matrix, ('background', 'road'))['IoU.road']


def score_predictions(split_file, img_dir, pred_dir):
    """Road IoU of the saved predictions and of the two trivial predictions."""
    import mmcv
    import torch

    from mars.evaluation.metrics.seg_confusion_metric import confusion_matrix
    matrices = dict(model=0, all_background=0, all_road=0)
    with open(split_file) as f:
        ids = [line.strip() for line in f if line.strip()]
    for tile_id in ids:
        mask = mmcv.imread(osp.join(img_dir, f'{tile_id}_mask.png'), flag='unchanged')
        label = torch.from_numpy((mask[..., 0] >= 128).astype(np.int64))
        pred = mmcv.imread(osp.join(pred_dir, f'{tile_id}_sat.png'), flag='unchanged')
        candidates = dict(model=torch.from_numpy(pred.astype(np.int64)),
                          all_background=torch.zeros_like(label),
                          all_road=torch.ones_like(label))
        for name, candidate in candidates.items():
            matrices[name] = matrices[name] + confusion_matrix(candidate, label, 2)
    return {name: road_iou(matrix) for name, matrix in matrices.items()}


def train_and_test(config, work_dir, *test_args):
    """Train ``config``, test its last checkpoint with overlays; return the test dir."""
    run_tool('tools/train.py', config, '--work-dir', work_dir)
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    test_dir = osp.join(work_dir, 'test')
    run_tool('tools/test.py', config, checkpoint, '--work-dir', test_dir,
             '--show-dir', 'overlays', *test_args)
    return test_dir


def find_overlays(test_dir):
    return sorted(glob.glob(osp.join(test_dir, '**', 'overlays', '**', '*.png'),
                            recursive=True))


def road_demo(work_dir):
    from mars.testing.synthetic import make_synthetic_deepglobe

    data = make_synthetic_deepglobe(ROAD_DATA, num_train=24, num_test=8, size=256, seed=0)
    print(f'synthetic DeepGlobe-layout data: {data["num_train"]} train / {data["num_test"]} '
          f'test tiles of {data["size"]}x{data["size"]} in {ROAD_DATA}/')
    pred_dir = osp.join(work_dir, 'test', 'predictions')
    test_dir = train_and_test(ROAD_CONFIG, work_dir, '--out', pred_dir)

    scores = score_predictions(data['test_split'], data['img_dir'], pred_dir)
    trivial = max(scores['all_background'], scores['all_road'])
    overlays = find_overlays(test_dir)
    print('\n================ MaRS-Bench demo: DeepGlobe-layout roads ================')
    print(f'road IoU, fine-tuned tiny MaRS : {scores["model"]:6.2f}')
    print(f'road IoU, all background       : {scores["all_background"]:6.2f}')
    print(f'road IoU, all road             : {scores["all_road"]:6.2f}')
    print(f'prediction overlays ({len(overlays)} PNG): '
          f'{osp.dirname(overlays[0]) if overlays else "none written"}')
    if not overlays or scores['model'] < trivial + ROAD_MARGIN:
        print(f'FAIL: expected overlays and a road IoU at least {ROAD_MARGIN:.0f} points '
              f'above the best trivial prediction ({trivial:.2f})')
        return 1
    print(f'OK: the model learned roads: {scores["model"] - trivial:.1f} IoU points above '
          'the best trivial prediction.')
    return 0


def landcover_demo(work_dir):
    from mars.testing.synthetic import make_synthetic_earthmiss

    data = make_synthetic_earthmiss(LANDCOVER_DATA, tiles_per_city=3, size=128, seed=0)
    print(f'synthetic EarthMiss-layout data: {len(data["cities"])} cities x 3 RGB + SAR '
          f'tiles of {data["size"]}x{data["size"]} in {LANDCOVER_DATA}/')
    test_dir = train_and_test(LANDCOVER_CONFIG, work_dir)
    [metrics_file] = glob.glob(osp.join(test_dir, '**', 'availability_metrics.json'),
                               recursive=True)
    with open(metrics_file) as f:
        metrics = json.load(f)
    classes = [key[len('IoU.'):] for key in metrics['rgb+sar'] if key.startswith('IoU.')]
    print('\n============ MaRS-Bench demo: EarthMiss-layout RGB + SAR land cover ============')
    print(f'{"class IoU":<14}' + ''.join(f'{name:>10}' for name in metrics))
    for name in classes + ['mIoU']:
        key = name if name == 'mIoU' else f'IoU.{name}'
        print(f'{name:<14}' + ''.join(f'{values[key]:10.2f}' for values in metrics.values()))
    overlays = find_overlays(test_dir)
    print(f'all metrics: {metrics_file}')
    print(f'prediction overlays ({len(overlays)} PNG, every pattern): '
          f'{osp.dirname(overlays[0]) if overlays else "none written"}')
    gap = abs(metrics['rgb']['mIoU'] - metrics['sar']['mIoU'])
    if not overlays or gap < MODALITY_GAP:
        print(f'FAIL: expected overlays and RGB-only vs SAR-only mIoU to differ by at least '
              f'{MODALITY_GAP:.0f} points (got {gap:.2f})')
        return 1
    better = {m: [c for c in classes if metrics[m][f'IoU.{c}'] > metrics[other][f'IoU.{c}']]
              for m, other in (('rgb', 'sar'), ('sar', 'rgb'))}
    print(f'OK: missing a modality costs accuracy, differently per class: RGB alone is better '
          f'on {", ".join(better["rgb"]) or "no class"}; SAR alone on '
          f'{", ".join(better["sar"]) or "no class"}.')
    return 0


def main():
    args = parse_args()
    os.chdir(REPO_ROOT)
    sys.path.insert(0, REPO_ROOT)
    work_dir = args.work_dir or f'work_dirs/demo_{args.task}'
    return landcover_demo(work_dir) if args.task == 'earthmiss' else road_demo(work_dir)


if __name__ == '__main__':
    sys.exit(main())
