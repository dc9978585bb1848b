"""Metrics registered into mmseg's / mmdet's METRICS."""
from .coco_by_name_metric import CocoByNameMetric, cat_ids_by_name
from .damage_metric import DamageMetric, damage_metrics
from .height_metric import HeightMetric, height_metrics, height_sums
from .seg_confusion_metric import SegConfusionMetric, confusion_matrix_metrics

__all__ = [
    'SegConfusionMetric', 'confusion_matrix_metrics', 'HeightMetric', 'height_metrics',
    'height_sums', 'CocoByNameMetric', 'cat_ids_by_name',
    'DamageMetric', 'damage_metrics'
]
