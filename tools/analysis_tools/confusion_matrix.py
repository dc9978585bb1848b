"""Confusion matrix of a segmentation model on the config's test set, as PNG and JSON.

Usage::

    # from the label maps written by tools/test.py CONFIG CKPT --out PRED_DIR
    python tools/analysis_tools/confusion_matrix.py CONFIG PRED_DIR --out-dir DIR
    # or predicting with a checkpoint
    python tools/analysis_tools/confusion_matrix.py CONFIG CHECKPOINT --out-dir DIR

Writes ``DIR/confusion_matrix.json`` (classes, counts with rows = ground truth and
columns = prediction, and the metrics of :func:`confusion_matrix_metrics`) and
``DIR/confusion_matrix.png`` (rows normalised to 100 %: recall on the diagonal).
"""
import argparse
import json
import os
import os.path as osp

import matplotlib

matplotlib.use('Agg')  # files only, no display needed
import matplotlib.pyplot as plt  # noqa: E402
import mmcv  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.dataset import pseudo_collate  # noqa: E402
from mmengine.registry import DefaultScope  # noqa: E402
from mmengine.utils import ProgressBar  # noqa: E402

import mars  # noqa: E402,F401  (registration)
from mars.apis import init_model  # noqa: E402
from mars.utils.tool_config import CfgOptionsAction  # noqa: E402
from mars.evaluation.metrics.seg_confusion_metric import (  # noqa: E402
    confusion_matrix, confusion_matrix_metrics)


def parse_args():
    parser = argparse.ArgumentParser(description='Confusion matrix of a segmentation model')
    parser.add_argument('config', help='config file')
    parser.add_argument('predictions',
                        help='directory of predicted label maps (tools/test.py --out), or a '
                        'checkpoint file to predict with')
    parser.add_argument('--out-dir', required=True, help='where to write the PNG and JSON')
    parser.add_argument('--device', default='cpu', help='device for checkpoint inference')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='override settings of the config, key=value')
    return parser.parse_args()


def build_test_dataset(cfg):
    from mmseg.registry import DATASETS
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        return DATASETS.build(cfg.test_dataloader.dataset)


def read_prediction(pred_dir, sample):
    """The label map tools/test.py wrote for ``sample`` (named after its first input)."""
    path = sample.img_path
    path = path[0] if isinstance(path, (list, tuple)) else path
    file = osp.join(pred_dir, osp.splitext(osp.basename(path))[0] + '.png')
    if not osp.isfile(file):
        raise FileNotFoundError(f'no prediction {file} for test image {path}')
    pred = mmcv.imread(file, flag='unchanged').astype(np.int64)
    if sample.get('reduce_zero_label', False):
        pred = pred - 1  # the files store the dataset's label values
    return torch.from_numpy(pred)


def plot_matrix(matrix, classes, path):
    rows = matrix.sum(axis=1, keepdims=True)
    percent = np.divide(matrix * 100.0, rows, out=np.zeros(matrix.shape), where=rows > 0)
    size = max(4, 0.6 * len(classes) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    image = ax.imshow(percent, cmap='Blues', vmin=0, vmax=100)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label='% of ground-truth pixels')
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha='right')
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel('prediction')
    ax.set_ylabel('ground truth')
    for i in range(len(classes)):
        for j in range(len(classes)):
            ax.text(j, i, f'{percent[i, j]:.1f}', ha='center', va='center', fontsize=8,
                    color='white' if percent[i, j] > 50 else 'black')
    ax.set_title('Confusion matrix (row-normalised)')
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    args = parse_args()
    model = init_model(args.config, None if osp.isdir(args.predictions) else
                       args.predictions, args.device, args.cfg_options)
    cfg = model.cfg
    if cfg.default_scope != 'mmseg':
        raise SystemExit(f'{args.config}: confusion matrices are for segmentation (mmseg) '
                         f'configs, got default_scope={cfg.default_scope!r}')
    dataset = build_test_dataset(cfg)
    classes = tuple(dataset.metainfo['classes'])
    evaluator = cfg.test_evaluator
    ignore_index = (evaluator[0] if isinstance(evaluator, list) else evaluator).get(
        'ignore_index', 255)
    matrix = np.zeros((len(classes), len(classes)), np.int64)
    bar = ProgressBar(len(dataset))
    for index in range(len(dataset)):
        data = dataset[index]
        sample = data['data_samples']
        if osp.isdir(args.predictions):
            pred = read_prediction(args.predictions, sample)
        else:
            with torch.no_grad():
                pred = model.test_step(pseudo_collate([data]))[0].pred_sem_seg.data[0].cpu()
        label = sample.gt_sem_seg.data.squeeze(0)
        matrix += confusion_matrix(pred, label, len(classes), ignore_index)
        bar.update()
    print()
    metrics = confusion_matrix_metrics(matrix, classes)
    os.makedirs(args.out_dir, exist_ok=True)
    with open(osp.join(args.out_dir, 'confusion_matrix.json'), 'w') as f:
        json.dump(dict(classes=list(classes), matrix=matrix.tolist(),
                       metrics={k: float(v) for k, v in metrics.items()}), f, indent=2)
    plot_matrix(matrix, classes, osp.join(args.out_dir, 'confusion_matrix.png'))
    print(f'mIoU {metrics["mIoU"]:.2f}; confusion_matrix.json / .png written to '
          f'{args.out_dir}')


if __name__ == '__main__':
    main()
