"""Height-regression metrics (metres) pooled over every pixel of the split.

Each sample contributes *sums* (pixel counts, sums of absolute and squared errors, delta
counts); :class:`HeightMetric` adds them over all samples, which mmengine first gathers from
every process, and only then divides. The result is therefore the pixel-pooled value of
the whole split, independent of batch size, sample order and process count.
"""
import os.path as osp
from collections import OrderedDict

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmengine.utils import mkdir_or_exist

from mars.utils.withheld_labels import labels_withheld
from mars.registry import register_downstream
from mars.utils.geotiff import GeoTiffReader, write_geotiff

DELTA_BASE = 1.25
SUM_KEYS = ('count', 'abs', 'sq', 'building_count', 'building_abs', 'building_sq',
            'delta1', 'delta2', 'delta3', 'image_mae_sum', 'image_count')
METRIC_KEYS = ('MAE', 'RMSE', 'MSE', 'building_MAE', 'building_RMSE', 'building_MSE',
               'delta1', 'delta2', 'delta3', 'per_image_MAE')


def _to_numpy(array):
    if isinstance(array, torch.Tensor):
        array = array.detach().cpu().numpy()
    return np.asarray(array, dtype=np.float64)


def height_sums(pred, label, max_height=None):
    """Error sums of one predicted height map against its label.

    Valid pixels have a finite label (NaN / inf are nodata), also ``<= max_height`` when
    given. Building pixels are valid pixels with label ``> 0``. The delta counts are over
    building pixels: a pixel counts for ``delta_k`` when ``max(p / g, g / p) < 1.25 ** k``;
    a prediction ``p <= 0`` makes the ratio infinite, so it never counts.

    Args:
        pred (np.ndarray | torch.Tensor): Predicted heights in metres (any shape; size-1
            axes are squeezed).
        label (np.ndarray | torch.Tensor): Label heights, same shape as ``pred``.
        max_height (float, optional): Labels above it are left out. Defaults to None.

    Returns:
        dict[str, float]: The ``SUM_KEYS`` of this sample (``image_mae_sum`` is its MAE and
        ``image_count`` 1 when it has valid pixels, else both 0).

    Raises:
        ValueError: Shapes differ, or a prediction at a valid pixel is not finite.
    """
    pred, label = np.squeeze(_to_numpy(pred)), np.squeeze(_to_numpy(label))
    if pred.shape != label.shape:
        raise ValueError(f'prediction shape {pred.shape} differs from label shape '
                         f'{label.shape}')
    valid = np.isfinite(label)
    if max_height is not None:
        valid &= label <= max_height
    p, g = pred[valid], label[valid]
    if not np.all(np.isfinite(p)):
        raise ValueError(f'{int((~np.isfinite(p)).sum())} predicted heights at labelled '
                         'pixels are not finite')
    err = p - g
    building = g > 0
    pb, gb = p[building], g[building]
    with np.errstate(divide='ignore', invalid='ignore'):
        ratio = np.where(pb > 0, np.maximum(pb / gb, gb / np.where(pb > 0, pb, 1)), np.inf)
    count = int(valid.sum())
    sums = dict(
        count=count, abs=float(np.abs(err).sum()), sq=float((err**2).sum()),
        building_count=int(building.sum()), building_abs=float(np.abs(err[building]).sum()),
        building_sq=float((err[building]**2).sum()),
        image_mae_sum=float(np.abs(err).mean()) if count else 0.0,
        image_count=1 if count else 0)
    for k in (1, 2, 3):
        sums[f'delta{k}'] = int((ratio < DELTA_BASE**k).sum())
    return sums


def add_sums(sums_list):
    """Element-wise total of several ``height_sums`` dicts (all zero for an empty list)."""
    return {key: sum(sums[key] for sums in sums_list) for key in SUM_KEYS}


def height_metrics(sums):
    """Metrics from (pooled) sums.

    Args:
        sums (dict): ``SUM_KEYS`` totals (see :func:`height_sums`, :func:`add_sums`).

    Returns:
        OrderedDict[str, float]: ``MAE``, ``RMSE``, ``MSE`` over all valid pixels (metres,
        metres squared), the same over building pixels (``building_*``), ``delta1-3`` as
        fractions in [0, 1] of building pixels, and the extra ``per_image_MAE`` (mean of
        per-image MAEs, not pixel-pooled). A value with no pixels to average is NaN.
    """
    def div(num, den):
        return float(num) / den if den else float('nan')

    mse = div(sums['sq'], sums['count'])
    building_mse = div(sums['building_sq'], sums['building_count'])
    return OrderedDict(
        MAE=div(sums['abs'], sums['count']), RMSE=float(np.sqrt(mse)), MSE=mse,
        building_MAE=div(sums['building_abs'], sums['building_count']),
        building_RMSE=float(np.sqrt(building_mse)), building_MSE=building_mse,
        **{f'delta{k}': div(sums[f'delta{k}'], sums['building_count']) for k in (1, 2, 3)},
        per_image_MAE=div(sums['image_mae_sum'], sums['image_count']))


@register_downstream('METRICS', det=False)
class HeightMetric(BaseMetric):
    """Building-height regression metrics, pooled over all pixels of the split.

    Reads ``data_sample['pred_depth_map']['data']`` (predicted metres) and
    ``data_sample['gt_depth_map']['data']`` (label metres, NaN = nodata, as stored by
    ``LoadHeightAnnotation``). Reports ``MAE``, ``RMSE``, ``MSE`` (all valid pixels),
    ``building_MAE``, ``building_RMSE``, ``building_MSE`` (label > 0), ``delta1``-``delta3``
    (fractions of building pixels with ``max(p/g, g/p) < 1.25**k``; ``p <= 0`` never counts)
    and, as an extra, ``per_image_MAE`` (the mean of per-image MAEs). See
    :func:`height_metrics`.

    Args:
        max_height (float, optional): Labels above it are left out. Defaults to None.
        collect_device (str): Device for gathering results. Defaults to 'cpu'.
        prefix (str, optional): Metric name prefix. Defaults to None.
        output_dir (str, optional): Also write each prediction as a float32 TIFF of metres,
            ``<output_dir>/<image name>.tif`` (``tools/test.py --out``), with the input's
            georeferencing tags. Defaults to None.
        format_only (bool): Only write predictions, compute nothing. Needs
            ``output_dir``. A dataset built with ``with_labels=False`` (DFC23 track 2
            test: heights withheld) has the same effect. The predictions then go to
            ``<output_dir>/height/<id>.tif``, the height part of the DFC23 track 2
            submission folder. Defaults to False.
        keep_results (bool): Set by ``tools/test.py --out``; written predictions are always
            kept. Defaults to False.
    """

    def __init__(self, max_height=None, collect_device='cpu', prefix=None, output_dir=None,
                 format_only=False, keep_results=False, **kwargs):
        super().__init__(collect_device=collect_device, prefix=prefix, **kwargs)
        if format_only and output_dir is None:
            raise ValueError('HeightMetric: format_only=True needs an output_dir')
        self.max_height = max_height
        self.output_dir = output_dir
        self.format_only = format_only
        if output_dir is not None:
            mkdir_or_exist(output_dir)

    @property
    def predict_only(self):
        """bool: Write predictions and compute nothing (``format_only`` or labels
        withheld)."""
        return self.format_only or labels_withheld(self.dataset_meta)

    def _write_prediction(self, data_sample, folder):
        """Save the predicted heights (metres) as a float32 TIFF named after the input,
        with its georeferencing tags; returns the path."""
        image = data_sample['img_path']
        height = data_sample['pred_depth_map']['data'].squeeze(0).cpu().numpy()
        geo_tags = {}
        if osp.splitext(image)[1].lower() in ('.tif', '.tiff') and osp.isfile(image):
            with GeoTiffReader(image) as reader:
                geo_tags = reader.geo_tags
        mkdir_or_exist(folder)
        path = osp.join(folder, osp.splitext(osp.basename(image))[0] + '.tif')
        write_geotiff(path, height.astype(np.float32), geo_tags)
        return path

    def process(self, data_batch, data_samples):
        """Add the error sums of each sample of a batch to ``self.results``.

        Args:
            data_batch (dict): The batch from the dataloader (unused).
            data_samples (Sequence[dict]): Model outputs with ``pred_depth_map`` and
                ``gt_depth_map``.
        """
        if self.predict_only:
            if self.output_dir is None:
                raise ValueError(
                    'HeightMetric: the labels of this split are withheld (dataset '
                    'with_labels=False), so its predictions are written, not scored: set '
                    "the evaluator's output_dir (tools/test.py --out DIR)")
            for data_sample in data_samples:
                self.results.append(self._write_prediction(
                    data_sample, osp.join(self.output_dir, 'height')))
            return
        for data_sample in data_samples:
            for key in ('pred_depth_map', 'gt_depth_map'):
                if key not in data_sample:
                    raise KeyError(f'HeightMetric needs {key!r} in each data sample, found '
                                   f'{sorted(data_sample)}')
            try:
                sums = height_sums(data_sample['pred_depth_map']['data'],
                                   data_sample['gt_depth_map']['data'], self.max_height)
            except ValueError as e:
                raise ValueError(f'{data_sample.get("img_path", "sample")}: {e}') from e
            self.results.append(sums)
            if self.output_dir is not None:
                self._write_prediction(data_sample, self.output_dir)

    def compute_metrics(self, results):
        """Add the per-sample sums and turn the totals into metrics.

        Args:
            results (list[dict]): Per-sample sums (from every process).

        Returns:
            dict[str, float]: The metrics described in the class docstring.
        """
        if self.predict_only:
            reason = ('labels withheld (dataset with_labels=False)'
                      if labels_withheld(self.dataset_meta) else 'format_only')
            print_log(f'{reason}: metrics skipped; {len(results)} predictions written to '
                      f'{osp.join(self.output_dir, "height")} (float32 metres, the height '
                      'part of the DFC23 track 2 submission folder)', logger='current')
            return {}
        metrics = height_metrics(add_sums(results))
        print_log('height metrics (m): ' + ', '.join(
            f'{key}={value:.4f}' for key, value in metrics.items()), logger='current')
        return dict(metrics)
