"""Metrics registered into mmseg's / mmdet's METRICS."""
from .damage_metric import DamageMetric, damage_metrics
from .height_metric import HeightMetric, height_metrics, height_sums
from .seg_confusion_metric import SegConfusionMetric, confusion_matrix_metrics

__all__ = [
    'SegConfusionMetric', 'confusion_matrix_metrics', 'HeightMetric', 'height_metrics',
    'height_sums',
    'DamageMetric', 'damage_metrics'
]
