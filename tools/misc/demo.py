"""`make demo`: fine-tune a tiny MaRS model on synthetic DeepGlobe roads, on the CPU.

1. writes a small synthetic dataset in the real DeepGlobe layout (learnable roads);
2. trains the demo config with ``tools/train.py`` (a couple of CPU minutes);
3. tests the last checkpoint with ``tools/test.py``, saving prediction overlays as PNG
   (``--show-dir``) and prediction masks (``--out``);
4. compares the road IoU with what all-background and all-road predictions score.
"""
import argparse
import glob
import os
import os.path as osp
import subprocess
import sys

import numpy as np

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = 'configs/road/deepglobe/mars-tiny_upernet_1xb8-300it_deepglobe-demo-128x128.py'
DATA_ROOT = 'data/demo_deepglobe'  # the demo config's data_root
# The model must beat the best trivial prediction by this many IoU points.
MARGIN = 20.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
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


def main():
    args = parse_args()
    os.chdir(REPO_ROOT)
    sys.path.insert(0, REPO_ROOT)
    from mars.datasets.synthetic import make_synthetic_deepglobe

    data = make_synthetic_deepglobe(DATA_ROOT, num_train=24, num_test=8, size=256, seed=0)
    print(f'synthetic DeepGlobe-layout data: {data["num_train"]} train / {data["num_test"]} '
          f'test tiles of {data["size"]}x{data["size"]} in {DATA_ROOT}/')

    run_tool('tools/train.py', CONFIG, '--work-dir', args.work_dir)
    with open(osp.join(args.work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()

    test_dir = osp.join(args.work_dir, 'test')
    pred_dir = osp.join(test_dir, 'predictions')
    run_tool('tools/test.py', CONFIG, checkpoint, '--work-dir', test_dir,
             '--show-dir', 'overlays', '--out', pred_dir)

    scores = score_predictions(data['test_split'], data['img_dir'], pred_dir)
    trivial = max(scores['all_background'], scores['all_road'])
    overlays = sorted(glob.glob(osp.join(test_dir, '**', 'overlays', '**', '*.png'),
                                recursive=True))
    print('\n================ MaRS-Bench demo: DeepGlobe-layout roads ================')
    print(f'road IoU, fine-tuned tiny MaRS : {scores["model"]:6.2f}')
    print(f'road IoU, all background       : {scores["all_background"]:6.2f}')
    print(f'road IoU, all road             : {scores["all_road"]:6.2f}')
    print(f'prediction overlays ({len(overlays)} PNG): '
          f'{osp.dirname(overlays[0]) if overlays else "none written"}')
    if not overlays or scores['model'] < trivial + MARGIN:
        print(f'FAIL: expected overlays and a road IoU at least {MARGIN:.0f} points above '
              f'the best trivial prediction ({trivial:.2f})')
        return 1
    print(f'OK: the model learned roads: {scores["model"] - trivial:.1f} IoU points above '
          'the best trivial prediction.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
