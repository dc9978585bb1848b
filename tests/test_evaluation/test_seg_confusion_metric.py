"""SegConfusionMetric and confusion_matrix_metrics against hand-computed values."""
import math

import mmcv
import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mars.evaluation import SegConfusionMetric, confusion_matrix_metrics

CLASSES = ('background', 'road')
# 3x4 label with two ignored pixels (255) and its prediction. Over the 10 valid pixels
# (rows ground truth, columns prediction): TN=4, FP=1, FN=2, TP=3.
LABEL = [[0, 0, 0, 1], [0, 0, 1, 1], [1, 1, 255, 255]]
PRED = [[0, 0, 1, 1], [0, 0, 0, 1], [0, 1, 1, 0]]


def sample(pred, label):
    """A data sample as the evaluator hands it to metrics (SegDataSample -> dict)."""
    data_sample = SegDataSample()
    data_sample.pred_sem_seg = PixelData(data=torch.tensor(pred)[None])
    data_sample.gt_sem_seg = PixelData(data=torch.tensor(label)[None])
    return data_sample


def evaluate(batches, **kwargs):
    """Run an mmengine Evaluator with SegConfusionMetric over ``batches`` of samples."""
    with DefaultScope.overwrite_default_scope('mmseg'):
        evaluator = Evaluator(dict(type='SegConfusionMetric', **kwargs))
    evaluator.dataset_meta = dict(classes=CLASSES)
    for batch in batches:
        evaluator.process(batch)
    return evaluator.evaluate(sum(len(batch) for batch in batches))


def test_matrix_metrics_hand_computed():
    metrics = confusion_matrix_metrics(np.array([[4, 1], [2, 3]]), CLASSES)
    # road: P = 3/4, R = 3/5, F1 = 6/9, IoU = 3/6; background: P = 4/6, R = 4/5, F1 = 8/11,
    # IoU = 4/7. OA = 7/10. Kappa: chance = (5*6 + 5*4)/100 = 0.5 -> (0.7-0.5)/0.5 = 0.4.
    expected = {
        'Precision.road': 75.0, 'Recall.road': 60.0, 'F1.road': 200 / 3, 'IoU.road': 50.0,
        'Precision.background': 200 / 3, 'Recall.background': 80.0,
        'F1.background': 800 / 11, 'IoU.background': 400 / 7,
        'aAcc': 70.0, 'kappa': 40.0, 'mIoU': (50 + 400 / 7) / 2,
        'mF1': (200 / 3 + 800 / 11) / 2, 'mPrecision': (75 + 200 / 3) / 2, 'mRecall': 70.0,
    }
    assert set(metrics) == set(expected)
    for key, value in expected.items():
        assert metrics[key] == pytest.approx(value), key


def test_metric_counts_pixels_and_skips_ignore_index():
    metrics = evaluate([[sample(PRED, LABEL)]], report_classes=['road'])
    assert metrics['IoU.road'] == 50.0
    assert metrics['Precision.road'] == 75.0
    assert metrics['Recall.road'] == 60.0
    assert metrics['F1.road'] == pytest.approx(66.67)
    assert metrics['aAcc'] == 70.0
    assert metrics['kappa'] == 40.0
    assert metrics['mIoU'] == pytest.approx(53.57)
    assert 'IoU.background' not in metrics  # not in report_classes


def test_perfect_prediction_is_100():
    label = [[0, 1], [1, 0]]
    metrics = evaluate([[sample(label, label)]])
    assert set(metrics) == {
        'aAcc', 'mIoU', 'mF1', 'mPrecision', 'mRecall', 'kappa',
        *(f'{m}.{c}' for m in ('IoU', 'Precision', 'Recall', 'F1') for c in CLASSES)}
    assert all(value == 100.0 for value in metrics.values())


def test_split_batches_equal_one_batch():
    pred2, label2 = [[1, 1, 1, 1]] * 2, [[0, 1, 1, 255]] * 2
    together = evaluate([[sample(PRED, LABEL), sample(pred2, label2)]])
    split = evaluate([[sample(PRED, LABEL)], [sample(pred2, label2)]])
    assert together == split
    # Summed over pixels, not averaged over images: road TP 3+4, FP 1+2, FN 2+0.
    assert together['IoU.road'] == pytest.approx(100 * 7 / 12, abs=0.005)


def test_undefined_values_are_nan_and_left_out_of_means():
    # Class 'water' is absent from labels and predictions; 'road' is never predicted.
    metrics = confusion_matrix_metrics(np.array([[5, 0, 0], [2, 0, 0], [0, 0, 0]]),
                                       ('background', 'road', 'water'))
    assert math.isnan(metrics['IoU.water']) and math.isnan(metrics['F1.water'])
    assert math.isnan(metrics['Precision.road'])
    assert metrics['IoU.road'] == 0.0 and metrics['Recall.road'] == 0.0
    assert metrics['mIoU'] == pytest.approx((5 / 7 * 100 + 0) / 2)
    assert metrics['mPrecision'] == pytest.approx(100 * 5 / 7)  # background only
    assert metrics['kappa'] == 0.0  # everything predicted as one class: chance level


def test_unknown_report_class_is_an_error():
    with pytest.raises(KeyError, match='river'):
        evaluate([[sample(PRED, LABEL)]], report_classes=['river'])


def test_output_dir_writes_class_index_pngs_and_format_only_skips_metrics(tmp_path):
    pred = torch.tensor([[0, 1], [1, 1]])
    sample = dict(pred_sem_seg=dict(data=pred[None]), gt_sem_seg=dict(data=pred[None]),
                  img_path='/data/train/104_sat.jpg')
    metric = SegConfusionMetric(output_dir=str(tmp_path / 'preds'), format_only=True)
    metric.dataset_meta = dict(classes=('background', 'road'))
    metric.process({}, [sample])
    written = mmcv.imread(str(tmp_path / 'preds' / '104_sat.png'), flag='unchanged')
    assert written.tolist() == [[0, 1], [1, 1]]
    assert metric.compute_metrics(metric.results) == {}
    with pytest.raises(ValueError, match='needs an output_dir'):
        SegConfusionMetric(format_only=True)
