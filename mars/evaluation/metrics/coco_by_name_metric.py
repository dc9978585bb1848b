"""COCO detection metric that maps categories by name, as the datasets do."""
from mmdet.evaluation import CocoMetric

from mars.registry import register_downstream
from mars.utils.coco_names import cat_ids_by_name


@register_downstream('METRICS', seg=False)
class CocoByNameMetric(CocoMetric):
    """mmdet's :class:`CocoMetric` with label ``k`` = the category named ``classes[k]``.

    Pair it with datasets that map categories by name (``SARDetDataset``,
    ``UBCV2Dataset``); mmdet's ``CocoDataset`` and ``CocoMetric`` map in json order.
    A split without a single detection scores 0 (``CocoMetric`` returns no metric then).
    Takes the arguments of :class:`CocoMetric`.
    """

    # mmdet's items of a bbox / segm evaluation (``metric_items`` default).
    ITEMS = ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l')

    def compute_metrics(self, results):
        if self.cat_ids is None and self._coco_api is not None:
            self.cat_ids = cat_ids_by_name(self._coco_api, self.dataset_meta['classes'])
        if not self.format_only and not any(len(pred['bboxes']) for _, pred in results):
            # CocoMetric only logs an error and returns no metric at all for a split without
            # one detection (an untrained model), which breaks `save_best` and the logs:
            # such a model scores 0.
            items = self.metric_items or self.ITEMS
            return {f'{metric}_{item}': 0.0 for metric in self.metrics
                    if metric in ('bbox', 'segm') for item in items}
        return super().compute_metrics(results)
