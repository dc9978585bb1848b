"""Building-damage metrics (BRIGHT / DFC25 track 2), overall and per disaster event."""
import os
import os.path as osp
import zipfile
from collections import OrderedDict

import numpy as np
from mmengine.logging import MMLogger, print_log
from prettytable import PrettyTable

from mars.registry import register_downstream
from mars.utils.bright_names import bright_event, bright_tile
from .nan_math import nan_ratio, nanmean
from .seg_confusion_metric import SegConfusionMetric, confusion_matrix_metrics

SUMMARY_KEYS = ('mIoU', 'OA', 'loc_F1', 'damage_F1')
# How a class absent from both truth and prediction counts: 'zero' as BRIGHT's own
# Evaluator (IoU 0, F1 0: it lowers mIoU and zeroes damage_F1), 'ignore' left out.
ABSENT_CLASSES = ('zero', 'ignore')
# DFC25 track 2 submission: one PNG per tile, named as its label, zipped without folders.
SUBMISSION_SUFFIX = '_building_damage.png'
SUBMISSION_ZIP = 'submission.zip'


def harmonic_mean(values):
    """Harmonic mean of the defined (non-NaN) values; 0 if one is 0, NaN if none is defined.

    Args:
        values (Sequence[float]): Non-negative values, NaN for undefined ones.

    Returns:
        float: The harmonic mean.
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[~np.isnan(values)]
    if not values.size:
        return np.nan
    if (values == 0).any():
        return 0.
    return float(values.size / (1. / values).sum())


def damage_metrics(matrix, class_names, absent_classes='zero'):
    """Damage-assessment metrics of a confusion matrix whose class 0 is background.

    - ``mIoU``: mean IoU over the classes (the DFC25 track 2 ranking number); ``OA``:
      overall pixel accuracy; ``IoU.<class>``: per-class IoU.
    - ``loc_F1``: F1 of building (any class > 0) against background, i.e. of the 2x2
      matrix obtained by merging the damage classes.
    - ``damage_F1``: harmonic mean over the damage classes (1..K-1) of their F1,
      computed on ground-truth building pixels only (xView2 / BRIGHT protocol): for
      class ``c``, true positives are building pixels of class ``c`` predicted ``c``,
      false negatives building pixels of class ``c`` predicted anything else (background
      included), false positives building pixels of another class predicted ``c``.
      ``F1_damage.<class>`` holds each F1; a class with F1 0 makes the mean 0.

    A class absent from both truth and prediction (and, for ``loc_F1``, no building
    pixel in either) has no IoU / F1. With ``absent_classes='zero'`` (BRIGHT's own
    ``Evaluator`` of ``bda_benchmark/util_func/metrics.py``) it counts as 0: it stays in
    the mean IoU and makes ``damage_F1`` 0. With ``'ignore'`` it is NaN and left out of
    both means.

    All values are in percent. Rows of ``matrix`` are ground truth, columns prediction.

    Args:
        matrix (np.ndarray): ``K x K`` confusion matrix of counts (``K >= 2``).
        class_names (Sequence[str]): The ``K`` class names, background first.
        absent_classes (str): ``'zero'`` or ``'ignore'``. Defaults to 'zero'.

    Returns:
        OrderedDict[str, float]: ``mIoU``, ``OA``, ``loc_F1``, ``damage_F1``, then
        ``IoU.<class>`` for every class and ``F1_damage.<class>`` for classes 1..K-1.
    """
    if absent_classes not in ABSENT_CLASSES:
        raise ValueError(f'absent_classes must be one of {ABSENT_CLASSES}, got '
                         f'{absent_classes!r}')
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.shape[0] < 2:
        raise ValueError(f'damage metrics need background and at least one building class, '
                         f'got a {matrix.shape[0]}-class matrix')
    base = confusion_matrix_metrics(matrix, class_names)
    iou = np.array([base[f'IoU.{name}'] for name in class_names]) / 100
    building_tp = matrix[1:, 1:].sum()
    loc_f1 = nan_ratio(2 * building_tp,
                       2 * building_tp + matrix[0, 1:].sum() + matrix[1:, 0].sum())
    # Ground-truth building pixels only: rows 1..K-1, every predicted column.
    on_buildings = matrix[1:, :]
    tp = np.diag(matrix)[1:]
    fn = on_buildings.sum(axis=1) - tp
    fp = on_buildings[:, 1:].sum(axis=0) - tp
    damage_f1 = nan_ratio(2 * tp, 2 * tp + fp + fn)
    if absent_classes == 'zero':
        iou, loc_f1, damage_f1 = (np.nan_to_num(v, nan=0.) for v in (iou, loc_f1, damage_f1))
    results = OrderedDict(
        mIoU=nanmean(iou) * 100, OA=base['aAcc'], loc_F1=float(loc_f1) * 100,
        damage_F1=harmonic_mean(damage_f1) * 100)
    for name, value in zip(class_names, iou):
        results[f'IoU.{name}'] = float(value) * 100
    for name, value in zip(class_names[1:], damage_f1):
        results[f'F1_damage.{name}'] = float(value) * 100
    return results


def sample_event(data_sample):
    """Event name of a BRIGHT sample, from its (first) image file name."""
    path = data_sample['img_path']
    if isinstance(path, (list, tuple)):
        path = path[0]
    return bright_event(path)


@register_downstream('METRICS', det=False)
class DamageMetric(SegConfusionMetric):
    """BRIGHT / DFC25 track 2 damage metrics over the whole split and per event.

    Each sample contributes its confusion matrix and its event (from the file name
    ``<event>_<8 digits>_...``); after mmengine gathers the results of all processes the
    matrices are summed, over the split and per event, before any ratio is taken, so
    single- and multi-process runs give identical numbers. Reported (percent, 2 decimals):
    ``mIoU`` (ranking), ``OA``, ``loc_F1``, ``damage_F1`` (see :func:`damage_metrics`),
    ``IoU.<class>``, ``F1_damage.<class>`` and, with ``per_event``, ``mIoU.<event>``,
    ``OA.<event>``, ``loc_F1.<event>``, ``damage_F1.<event>``. A per-event table is
    logged.

    Args:
        per_event (bool): Also report every event. Defaults to True.
        **kwargs: :class:`SegConfusionMetric` arguments (``ignore_index``,
            ``output_dir``, ``format_only``, ``collect_device``, ``prefix``).
    """

    def __init__(self, per_event=True, absent_classes='zero', **kwargs):
        super().__init__(**kwargs)
        if absent_classes not in ABSENT_CLASSES:
            raise ValueError(f'DamageMetric: absent_classes must be one of '
                             f'{ABSENT_CLASSES}, got {absent_classes!r}')
        self.per_event = per_event
        self.absent_classes = absent_classes

    def _prediction_name(self, data_sample):
        """``<event>_<8 digits>_building_damage.png``, as the label and the submission."""
        path = data_sample['img_path']
        path = path[0] if isinstance(path, (list, tuple)) else path
        return bright_tile(path) + SUBMISSION_SUFFIX

    def _finish_predictions(self, written):
        """Zip the written PNGs, without folders, for the DFC25 track 2 upload."""
        zip_path = osp.join(self.output_dir, SUBMISSION_ZIP)
        part = zip_path + '.part'
        with zipfile.ZipFile(part, 'w', zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(written):
                archive.write(path, arcname=osp.basename(path))
        os.replace(part, zip_path)
        return f' in the DFC25 track 2 submission form, zipped into {zip_path}'

    def _sample_result(self, data_sample, matrix):
        """``(event, confusion matrix)`` of one sample (event None without ``per_event``)."""
        return (sample_event(data_sample) if self.per_event else None), matrix

    def _split_metrics(self, results, class_names):
        """Sum the ``(event, matrix)`` results over the split and per event and turn them
        into metrics."""
        num_classes = len(class_names)
        total = np.zeros((num_classes, num_classes), np.int64)
        events = {}
        for event, matrix in results:
            total += matrix
            if event is not None:
                events[event] = events.get(event, 0) + matrix
        metrics = damage_metrics(total, class_names, self.absent_classes)
        per_event = {event: damage_metrics(events[event], class_names, self.absent_classes)
                     for event in sorted(events)}
        self._log_tables(metrics, per_event, class_names)
        for event, values in per_event.items():
            for key in SUMMARY_KEYS:
                metrics[f'{key}.{event}'] = values[key]
        return OrderedDict((key, round(value, 2)) for key, value in metrics.items())

    @staticmethod
    def _log_tables(metrics, per_event, class_names):
        """Log per-class IoU / damage F1 and one row per event."""
        classes = PrettyTable()
        classes.add_column('Class', class_names)
        classes.add_column('IoU', [round(metrics[f'IoU.{n}'], 2) for n in class_names])
        classes.add_column('F1 (on buildings)', ['-'] + [
            round(metrics[f'F1_damage.{n}'], 2) for n in class_names[1:]])
        events = PrettyTable()
        events.field_names = ['Event'] + list(SUMMARY_KEYS)
        for event, values in per_event.items():
            events.add_row([event] + [round(values[k], 2) for k in SUMMARY_KEYS])
        events.add_row(['all'] + [round(metrics[k], 2) for k in SUMMARY_KEYS])
        logger = MMLogger.get_current_instance()
        print_log('per class results:\n' + classes.get_string(), logger=logger)
        print_log('per event results:\n' + events.get_string(), logger=logger)
