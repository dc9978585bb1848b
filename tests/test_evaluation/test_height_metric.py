"""HeightMetric: pixel-pooled sums, NaN masking, delta conventions, grouping invariance."""
import numpy as np
import pytest
import torch
from mmseg.registry import METRICS

import mars.evaluation  # noqa: F401  (registration)
from mars.evaluation.metrics import HeightMetric, height_metrics, height_sums
from mars.evaluation.metrics.height_metric import add_sums


def _sample(pred, label):
    return dict(pred_depth_map=dict(data=torch.tensor(pred, dtype=torch.float32)[None]),
                gt_depth_map=dict(data=torch.tensor(label, dtype=torch.float32)[None]))


def _numpy_reference(preds, labels):
    p = np.concatenate([x.ravel() for x in preds]).astype(np.float64)
    g = np.concatenate([x.ravel() for x in labels]).astype(np.float64)
    keep = np.isfinite(g)
    p, g = p[keep], g[keep]
    b = g > 0
    ratio = np.full(b.sum(), np.inf)
    pos = p[b] > 0
    ratio[pos] = np.maximum(p[b][pos] / g[b][pos], g[b][pos] / p[b][pos])
    return dict(MAE=np.abs(p - g).mean(), RMSE=np.sqrt(((p - g)**2).mean()),
                MSE=((p - g)**2).mean(), building_MAE=np.abs(p[b] - g[b]).mean(),
                building_RMSE=np.sqrt(((p[b] - g[b])**2).mean()),
                **{f'delta{k}': (ratio < 1.25**k).mean() for k in (1, 2, 3)})


@pytest.fixture
def batches():
    rng = np.random.default_rng(0)
    labels = [rng.uniform(0, 30, (4, 4)), rng.uniform(0, 30, (10, 12))]
    labels[0][0, :2] = 0
    labels[1][3:6, 2:5] = 0
    labels[1][0, 0] = np.nan
    preds = [x + rng.normal(0, 3, x.shape) for x in labels]
    preds[1][0, 0] = np.nan  # prediction at a nodata pixel: ignored
    preds[0][1, 1] = -1.0  # p <= 0 on a building: never within delta
    return preds, labels


def test_metric_is_pixel_pooled(batches):
    preds, labels = batches
    metric = METRICS.build(dict(type='HeightMetric'))
    assert isinstance(metric, HeightMetric)
    metric.dataset_meta = dict(classes=('height', ))
    for pred, label in zip(preds, labels):  # two batches of different sizes
        metric.process({}, [_sample(pred, label)])
    result = metric.evaluate(2)
    expected = _numpy_reference(preds, labels)
    for key, value in expected.items():
        assert result[key] == pytest.approx(value, rel=1e-5), key
    assert all(np.isfinite(v) for v in result.values())
    per_batch = [_numpy_reference([p], [g])['MAE'] for p, g in zip(preds, labels)]
    assert result['per_image_MAE'] == pytest.approx(np.mean(per_batch), rel=1e-5)
    assert abs(result['MAE'] - np.mean(per_batch)) > 1e-3


def test_grouping_does_not_change_metrics(batches):
    """Summing per-sample accumulators in any grouping (processes) gives the same value."""
    preds, labels = batches
    sums = [height_sums(p, g) for p, g in zip(preds, labels)] * 2
    pooled = _numpy_reference(preds * 2, labels * 2)  # every pixel pooled once
    metric = HeightMetric()
    by_rank = [add_sums(sums[:1]), add_sums(sums[1:])]
    computed = metric.compute_metrics(sums)
    assert set(pooled) <= set(computed)
    for key, value in computed.items():
        if key in pooled:
            assert value == pytest.approx(pooled[key], rel=1e-5), key
        assert height_metrics(add_sums(by_rank))[key] == pytest.approx(value)
        assert metric.compute_metrics(list(reversed(sums)))[key] == pytest.approx(value)


def test_delta_and_edge_cases():
    label = np.array([[10.0, 10.0, 10.0, 0.0]])
    pred = np.array([[11.0, 14.0, 0.0, 2.0]])
    sums = height_sums(pred, label)
    assert sums['building_count'] == 3 and sums['count'] == 4
    metrics = height_metrics(sums)
    assert metrics['delta1'] == pytest.approx(1 / 3)  # 1.1 < 1.25; 1.4; p=0 -> inf
    assert metrics['delta2'] == pytest.approx(2 / 3)  # 1.4 < 1.5625
    assert metrics['MAE'] == pytest.approx((1 + 4 + 10 + 2) / 4)
    # max_height excludes labels above it.
    assert height_sums(pred, label, max_height=5)['count'] == 1
    # Nothing valid: NaN metrics, not errors.
    empty = height_metrics(height_sums(np.zeros((2, 2)), np.full((2, 2), np.nan)))
    assert all(np.isnan(v) for v in empty.values())
    with pytest.raises(ValueError, match='not finite'):
        height_sums(np.array([np.inf]), np.array([1.0]))
    with pytest.raises(ValueError, match='shape'):
        height_sums(np.zeros((2, 3)), np.zeros((3, 2)))
