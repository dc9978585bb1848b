"""Metrics registered into mmseg's / mmdet's METRICS."""
from .seg_confusion_metric import SegConfusionMetric, confusion_matrix_metrics

__all__ = ['SegConfusionMetric', 'confusion_matrix_metrics']
