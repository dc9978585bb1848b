"""Segmentation metrics from one confusion matrix summed over the whole split."""
import os.path as osp
from collections import OrderedDict

import mmcv
import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmengine.utils import mkdir_or_exist
from prettytable import PrettyTable

from mars.utils.withheld_labels import labels_withheld
from mars.registry import register_downstream
from .nan_math import nan_ratio, nanmean

PER_CLASS_METRICS = ('IoU', 'Precision', 'Recall', 'F1')


def confusion_matrix(pred, label, num_classes, ignore_index=255):
    """Confusion matrix of one prediction against its label.

    Args:
        pred (torch.Tensor): Predicted class indices, any shape.
        label (torch.Tensor): Ground-truth class indices, same shape as ``pred``.
        num_classes (int): Number of classes.
        ignore_index (int): Label value left out of the count. Defaults to 255.

    Returns:
        np.ndarray: ``num_classes x num_classes`` int64 matrix, rows ground truth, columns
        prediction.
    """
    if pred.shape != label.shape:
        raise ValueError(f'prediction shape {tuple(pred.shape)} differs from label shape '
                         f'{tuple(label.shape)}')
    pred, label = pred.reshape(-1).long(), label.reshape(-1).long()
    # Out-of-range labels other than ignore_index would corrupt neighbouring cells.
    valid = (label != ignore_index) & (label >= 0) & (label < num_classes)
    counts = torch.bincount(
        label[valid] * num_classes + pred[valid], minlength=num_classes**2)
    return counts[:num_classes**2].reshape(num_classes, num_classes).cpu().numpy().astype(
        np.int64)


def confusion_matrix_metrics(matrix, class_names):
    """Accuracy, IoU, precision, recall, F1 and Cohen's kappa of a confusion matrix.

    Rows of ``matrix`` are ground truth, columns prediction. Values are in percent. A
    per-class value whose denominator is zero is NaN and left out of the means: IoU and F1
    of a class absent from both labels and predictions, recall of a class absent from the
    labels, precision of a class never predicted. ``kappa`` is NaN when chance agreement is
    1 (only one class anywhere), ``aAcc`` when the matrix is empty.

    Args:
        matrix (np.ndarray): ``K x K`` confusion matrix of counts.
        class_names (Sequence[str]): The ``K`` class names.

    Returns:
        OrderedDict[str, float]: ``aAcc``, ``mIoU``, ``mF1``, ``mPrecision``, ``mRecall``,
        ``kappa``, then ``IoU.<name>``, ``Precision.<name>``, ``Recall.<name>`` and
        ``F1.<name>`` for every class.
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f'expected a square confusion matrix, got shape {matrix.shape}')
    if len(class_names) != matrix.shape[0]:
        raise ValueError(f'{len(class_names)} class names for a {matrix.shape[0]}-class '
                         'confusion matrix')
    tp = np.diag(matrix)
    gt_total, pred_total = matrix.sum(axis=1), matrix.sum(axis=0)
    fp, fn = pred_total - tp, gt_total - tp
    total = matrix.sum()
    per_class = OrderedDict(
        IoU=nan_ratio(tp, tp + fp + fn),
        Precision=nan_ratio(tp, tp + fp),
        Recall=nan_ratio(tp, tp + fn),
        F1=nan_ratio(2 * tp, 2 * tp + fp + fn))

    observed = nan_ratio(tp.sum(), total)
    chance = nan_ratio((gt_total * pred_total).sum(), total**2)
    results = OrderedDict(
        aAcc=float(observed) * 100,
        mIoU=nanmean(per_class['IoU']) * 100,
        mF1=nanmean(per_class['F1']) * 100,
        mPrecision=nanmean(per_class['Precision']) * 100,
        mRecall=nanmean(per_class['Recall']) * 100,
        kappa=float(nan_ratio(observed - chance, 1 - chance)) * 100)
    for metric, values in per_class.items():
        for name, value in zip(class_names, values):
            results[f'{metric}.{name}'] = float(value) * 100
    return results


@register_downstream('METRICS', det=False)
class SegConfusionMetric(BaseMetric):
    """IoU, precision, recall, F1, overall accuracy and kappa from a confusion matrix.

    Each sample contributes its ``num_classes x num_classes`` confusion matrix; the matrices
    of all samples (gathered from all processes by mmengine) are summed before any ratio is
    taken, so every value is over the pixels of the whole split, identical in single- and
    multi-process runs. Reported (percent, 2 decimals, like mmseg's ``IoUMetric``):
    ``aAcc``, ``mIoU``, ``mF1``, ``mPrecision``, ``mRecall``, ``kappa`` and, for each class
    in ``report_classes``, ``IoU.<name>``, ``Precision.<name>``, ``Recall.<name>``,
    ``F1.<name>``. Means are over all classes whose value is defined. A table of every
    class is logged.

    Args:
        ignore_index (int): Label value excluded from evaluation. Defaults to 255.
        report_classes (Sequence[str], optional): Classes whose per-class values are
            returned (e.g. ``['road']``). Defaults to None (all classes).
        collect_device (str): Device used to gather results across processes, ``'cpu'``
            or ``'gpu'``. Defaults to 'cpu'.
        prefix (str, optional): Prefix of the metric names. Defaults to None.
        output_dir (str, optional): Also write each prediction as a class-index PNG
            ``<output_dir>/<image name>.png`` (``tools/test.py --out``). Defaults to None.
        format_only (bool): Only write predictions, compute nothing. Needs
            ``output_dir``. A dataset built with ``with_labels=False`` (labels withheld)
            sets ``labels_withheld`` in its metainfo, which has the same effect.
            Defaults to False.
        keep_results (bool): Set by mmseg-style ``tools/test.py --out``; written
            predictions are always kept. Defaults to False.
    """

    def __init__(self, ignore_index=255, report_classes=None, collect_device='cpu',
                 prefix=None, output_dir=None, format_only=False, keep_results=False,
                 **kwargs):
        super().__init__(collect_device=collect_device, prefix=prefix, **kwargs)
        if format_only and output_dir is None:
            raise ValueError('SegConfusionMetric: format_only=True needs an output_dir')
        self.ignore_index = ignore_index
        self.report_classes = list(report_classes) if report_classes is not None else None
        self.output_dir = output_dir
        self.format_only = format_only
        if output_dir is not None:
            mkdir_or_exist(output_dir)

    def process(self, data_batch, data_samples):
        """Add the confusion matrix of each sample of a batch to ``self.results``.

        Args:
            data_batch (dict): The batch from the dataloader (unused).
            data_samples (Sequence[dict]): Model outputs with ``pred_sem_seg`` and
                ``gt_sem_seg``.
        """
        num_classes = len(self.dataset_meta['classes'])
        predict_only = self.predict_only
        if predict_only and self.output_dir is None:
            raise ValueError(
                f'{type(self).__name__}: the labels of this split are withheld (dataset '
                'with_labels=False), so its predictions are written, not scored: set the '
                "evaluator's output_dir (tools/test.py --out DIR)")
        for data_sample in data_samples:
            pred = data_sample['pred_sem_seg']['data'].squeeze()
            written = (self._write_prediction(pred, data_sample)
                       if self.output_dir is not None else None)
            if predict_only:
                self.results.append(written)
                continue
            label = data_sample['gt_sem_seg']['data'].squeeze().to(pred.device)
            self.results.append(self._sample_result(
                data_sample, confusion_matrix(pred, label, num_classes, self.ignore_index)))

    @property
    def predict_only(self):
        """bool: Write predictions and compute nothing (``format_only`` or labels
        withheld)."""
        return self.format_only or labels_withheld(self.dataset_meta)

    def _log_predict_only(self, written):
        """The one log line of a run that computes no metric; ``written``: the files."""
        reason = ('labels withheld (dataset with_labels=False)'
                  if labels_withheld(self.dataset_meta) else 'format_only')
        print_log(f'{reason}: metrics skipped; {len(written)} predictions written to '
                  f'{self.output_dir}{self._finish_predictions(written)}', logger='current')

    def _finish_predictions(self, written):
        """Hook run once all predictions are written (rank 0); returns a log-line suffix."""
        return ''

    def _sample_result(self, data_sample, matrix):
        """What ``self.results`` keeps of one sample: its confusion matrix."""
        return matrix

    def _prediction_name(self, data_sample):
        """File name of a written prediction: the (first) input image's stem + ``.png``."""
        path = data_sample['img_path']
        # Change samples carry the list of their dates' files: name after the first.
        path = path[0] if isinstance(path, (list, tuple)) else path
        return osp.splitext(osp.basename(path))[0] + '.png'

    def _write_prediction(self, pred, data_sample):
        """Save ``pred`` as a single-band uint8 PNG of label values; returns its path."""
        values = pred.cpu().numpy().astype(np.uint8)
        # Undo the k -> k-1 shift of datasets whose label 0 means "ignore".
        if data_sample.get('reduce_zero_label', False):
            values = values + 1
        path = osp.join(self.output_dir, self._prediction_name(data_sample))
        mmcv.imwrite(values, path)
        return path

    def compute_metrics(self, results):
        """The metrics of the split; none (a log line) when only predictions were written.

        Args:
            results (list): What :meth:`_sample_result` gave for each sample.

        Returns:
            dict[str, float]: The metrics described in the class docstring.
        """
        if self.predict_only:
            self._log_predict_only(results)
            return OrderedDict()
        return self._split_metrics(results, list(self.dataset_meta['classes']))

    def _split_metrics(self, results, class_names):
        """Sum the per-sample confusion matrices and turn them into metrics."""
        report = self.report_classes if self.report_classes is not None else class_names
        unknown = [name for name in report if name not in class_names]
        if unknown:
            raise KeyError(f'report_classes {unknown} are not dataset classes {class_names}')
        num_classes = len(class_names)
        matrix = (np.sum(results, axis=0) if results else
                  np.zeros((num_classes, num_classes), np.int64))
        all_metrics = confusion_matrix_metrics(matrix, class_names)
        self._log_class_table(all_metrics, class_names)
        summary = ('aAcc', 'mIoU', 'mF1', 'mPrecision', 'mRecall', 'kappa')
        keys = list(summary) + [f'{metric}.{name}' for metric in PER_CLASS_METRICS
                                for name in report]
        return OrderedDict((key, round(all_metrics[key], 2)) for key in keys)

    @staticmethod
    def _log_class_table(all_metrics, class_names):
        """Log one row per class with its IoU, precision, recall and F1."""
        table = PrettyTable()
        table.add_column('Class', class_names)
        for metric in PER_CLASS_METRICS:
            table.add_column(
                metric, [round(all_metrics[f'{metric}.{name}'], 2) for name in class_names])
        logger = MMLogger.get_current_instance()
        print_log('per class results:', logger)
        print_log('\n' + table.get_string(), logger=logger)
