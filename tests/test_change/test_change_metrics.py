"""Change (WHU-CD) and damage (BRIGHT) metrics against hand-computed values."""
import numpy as np
import pytest
import torch

from mars.evaluation.metrics import DamageMetric, SegConfusionMetric, damage_metrics
from mars.evaluation.metrics.damage_metric import harmonic_mean

BRIGHT_CLASSES = ('background', 'intact', 'damaged', 'destroyed')
# Ten pixels whose confusion matrix (rows truth, columns prediction) is
#   [[2, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 2]].
LABEL = [0, 0, 0, 1, 1, 2, 2, 3, 3, 3]
PRED = [0, 1, 0, 1, 0, 2, 3, 3, 3, 2]


def _sample(pred, label, path):
    return dict(pred_sem_seg=dict(data=torch.tensor([pred])),
                gt_sem_seg=dict(data=torch.tensor([label])), img_path=path)


def _run(metric, samples, classes):
    metric.dataset_meta = dict(classes=classes)
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def test_damage_metrics_by_hand():
    matrix = np.zeros((4, 4), np.int64)
    np.add.at(matrix, (LABEL, PRED), 1)
    metrics = damage_metrics(matrix, BRIGHT_CLASSES)
    # IoU: 2/4, 1/3, 1/3, 2/4; OA 6/10; building vs background TP 6, FP 1, FN 1.
    assert metrics['mIoU'] == pytest.approx(100 * 5 / 12)
    assert metrics['OA'] == pytest.approx(60)
    assert metrics['IoU.damaged'] == pytest.approx(100 / 3)
    assert metrics['loc_F1'] == pytest.approx(100 * 12 / 14)
    # On ground-truth building pixels: intact TP 1 FN 1 (predicted background) FP 0 -> 2/3;
    # damaged TP 1 FN 1 FP 1 -> 1/2; destroyed TP 2 FN 1 FP 1 -> 2/3; harmonic mean 3/5.
    assert metrics['F1_damage.intact'] == pytest.approx(100 * 2 / 3)
    assert metrics['F1_damage.damaged'] == pytest.approx(50)
    assert metrics['F1_damage.destroyed'] == pytest.approx(100 * 2 / 3)
    assert metrics['damage_F1'] == pytest.approx(60)


def test_harmonic_mean_rules():
    assert harmonic_mean([0.5, 1.0]) == pytest.approx(2 / 3)
    assert harmonic_mean([0.5, 0.0, 1.0]) == 0
    assert harmonic_mean([0.5, np.nan]) == pytest.approx(0.5)  # undefined class left out
    assert np.isnan(harmonic_mean([np.nan]))


def test_damage_metric_sums_over_split_and_per_event():
    metric = DamageMetric()
    # Pixels 0-4 from one event, 5-9 from another (names as in the release), one ignored.
    samples = [
        _sample(PRED[:5] + [3], LABEL[:5] + [255],
                ['/d/pre-event/bata-explosion_00000001_pre_disaster.tif', '/d/post.tif']),
        _sample(PRED[5:], LABEL[5:],
                ['/d/pre-event/noto-earthquake_00000007_pre_disaster.tif', '/d/p.tif']),
    ]
    results = _run(metric, samples, BRIGHT_CLASSES)
    assert results['mIoU'] == round(100 * 5 / 12, 2)
    assert results['damage_F1'] == 60.0 and results['loc_F1'] == round(100 * 12 / 14, 2)
    # Event 1: matrix [[2, 1, 0, 0], [1, 1, 0, 0]] -> OA 3/5, loc F1 = 2/(2+1+1).
    assert results['OA.bata-explosion'] == 60.0
    assert results['loc_F1.bata-explosion'] == 50.0
    # Event 2: [[.], [.], [0, 0, 1, 1], [0, 0, 1, 2]] -> OA 3/5, every pixel a building.
    assert results['OA.noto-earthquake'] == 60.0
    assert results['loc_F1.noto-earthquake'] == 100.0
    # Background and intact are absent there; BRIGHT's Evaluator counts them as IoU 0 and
    # intact's F1 as 0: mIoU = (0 + 0 + 1/3 + 1/2) / 4 = 5/24, damage F1 = 0.
    assert results['mIoU.noto-earthquake'] == round(100 * 5 / 24, 2)
    assert results['damage_F1.noto-earthquake'] == 0.0
    # Event 1 lacks damaged and destroyed: (1/2 + 1/3 + 0 + 0) / 4 = 5/24, damage F1 0.
    assert results['mIoU.bata-explosion'] == round(100 * 5 / 24, 2)
    assert results['damage_F1.bata-explosion'] == 0.0

    # absent_classes='ignore' leaves them out: mIoU (1/3 + 1/2) / 2 = 5/12, damage F1 =
    # harmonic mean of 1/2 and 2/3 = 4/7; event 1: (1/2 + 1/3) / 2, intact F1 2/3.
    ours = _run(DamageMetric(absent_classes='ignore'), samples, BRIGHT_CLASSES)
    assert ours['mIoU.noto-earthquake'] == round(100 * 5 / 12, 2)
    assert ours['damage_F1.noto-earthquake'] == round(100 * 4 / 7, 2)
    assert ours['mIoU.bata-explosion'] == round(100 * 5 / 12, 2)
    assert ours['damage_F1.bata-explosion'] == round(100 * 2 / 3, 2)
    # Over the whole split every class is present: both definitions agree.
    assert all(ours[key] == results[key] for key in ('mIoU', 'OA', 'loc_F1', 'damage_F1'))


def test_absent_class_counts_as_brights_evaluator_counts_it():
    """A class absent from truth and prediction: IoU 0 / F1 0 (BRIGHT), or left out."""
    # Rows truth, columns prediction; nothing is damaged, nothing predicted damaged.
    matrix = np.array([[8, 1, 0, 1],
                       [1, 3, 0, 0],
                       [0, 0, 0, 0],
                       [0, 0, 0, 2]])
    bright = damage_metrics(matrix, BRIGHT_CLASSES)
    # IoU: background 8/(10+9-8) = 8/11, intact 3/(4+4-3) = 3/5, damaged 0/0 -> 0,
    # destroyed 2/(2+3-2) = 2/3; mIoU over all four classes.
    assert bright['IoU.damaged'] == 0
    assert bright['mIoU'] == pytest.approx(100 * (8 / 11 + 3 / 5 + 2 / 3) / 4)
    assert round(bright['mIoU'], 2) == 49.85
    assert bright['OA'] == pytest.approx(100 * 13 / 16)
    # Building vs background: TP 3 + 2, FN 1 (intact predicted background), FP 2.
    assert bright['loc_F1'] == pytest.approx(100 * 10 / 13)
    # On truth building pixels: intact TP 3 FN 1 FP 0 -> 6/7; damaged 0; destroyed 1
    # (the background pixel predicted destroyed is not a building pixel).
    assert bright['F1_damage.intact'] == pytest.approx(100 * 6 / 7)
    assert bright['F1_damage.damaged'] == 0
    assert bright['F1_damage.destroyed'] == pytest.approx(100)
    assert bright['damage_F1'] == 0

    ours = damage_metrics(matrix, BRIGHT_CLASSES, absent_classes='ignore')
    assert np.isnan(ours['IoU.damaged']) and np.isnan(ours['F1_damage.damaged'])
    assert round(ours['mIoU'], 2) == 66.46  # (8/11 + 3/5 + 2/3) / 3
    assert ours['damage_F1'] == pytest.approx(100 * 12 / 13)  # harmonic of 6/7 and 1
    assert ours['loc_F1'] == bright['loc_F1'] and ours['OA'] == bright['OA']

    # No building anywhere: BRIGHT's rule gives loc F1 0 and mIoU (1 + 0 + 0 + 0) / 4.
    empty = np.zeros((4, 4), np.int64)
    empty[0, 0] = 5
    bright = damage_metrics(empty, BRIGHT_CLASSES)
    assert bright['mIoU'] == 25 and bright['loc_F1'] == 0 and bright['damage_F1'] == 0
    ours = damage_metrics(empty, BRIGHT_CLASSES, absent_classes='ignore')
    assert ours['mIoU'] == 100 and np.isnan(ours['loc_F1']) and np.isnan(ours['damage_F1'])


def test_absent_classes_option_is_checked():
    with pytest.raises(ValueError, match="absent_classes.*'skip'"):
        DamageMetric(absent_classes='skip')
    with pytest.raises(ValueError, match="absent_classes.*'skip'"):
        damage_metrics(np.eye(4), BRIGHT_CLASSES, absent_classes='skip')


def test_perfect_prediction_scores_100():
    metric = DamageMetric()
    samples = [_sample(LABEL, LABEL, ['x/bata-explosion_00000001_pre_disaster.tif', 'y'])]
    results = _run(metric, samples, BRIGHT_CLASSES)
    assert all(value == 100.0 for value in results.values()), results
    change = _run(SegConfusionMetric(report_classes=['change']),
                  [_sample([0, 1, 1], [0, 1, 1], ['a.png', 'b.png'])], ('unchanged', 'change'))
    assert all(value == 100.0 for value in change.values()), change


def test_change_class_metrics_by_hand():
    """WHU-CD uses SegConfusionMetric(report_classes=['change'])."""
    label, pred = [0, 0, 1, 1, 1, 0], [0, 1, 1, 1, 0, 0]  # TP 2, FP 1, FN 1, TN 2
    results = _run(SegConfusionMetric(report_classes=['change']),
                   [_sample(pred, label, ['A/x.png', 'B/x.png'])], ('unchanged', 'change'))
    assert results['Precision.change'] == results['Recall.change'] == 66.67
    assert results['F1.change'] == 66.67 and results['IoU.change'] == 50.0
    assert results['aAcc'] == 66.67
    # Chance agreement (3*3 + 3*3) / 36 = 1/2: kappa = (2/3 - 1/2) / (1/2) = 1/3.
    assert results['kappa'] == 33.33
    assert 'IoU.unchanged' not in results


def test_damage_metric_needs_event_names():
    metric = DamageMetric()
    with pytest.raises(ValueError, match='scene_1.tif'):
        _run(metric, [_sample([0], [0], ['/d/scene_1.tif', '/d/s.tif'])], BRIGHT_CLASSES)
    # Without per-event results any file name works.
    results = _run(DamageMetric(per_event=False),
                   [_sample([0], [0], ['/d/scene_1.tif', '/d/s.tif'])], BRIGHT_CLASSES)
    assert results['OA'] == 100.0 and not any('.' in key and key.split('.')[0] in
                                              ('mIoU', 'OA') for key in results)
