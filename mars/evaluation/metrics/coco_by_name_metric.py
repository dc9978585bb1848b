"""COCO detection metric that maps categories by name, as the datasets do."""
from mmdet.evaluation import CocoMetric

from mars.registry import register_downstream


def cat_ids_by_name(coco, class_names, source='annotation file'):
    """COCO category ids of ``class_names``, in the order of ``class_names``.

    mmdet's ``get_cat_ids(cat_names=...)`` returns ids in the order the json lists its
    categories, whatever the order of ``classes``: with another order (or shuffled ids)
    label ``k`` silently stops meaning ``classes[k]``. This keeps ``classes`` order.

    Args:
        coco (COCO): Loaded COCO api (``coco.cats``: id -> category dict).
        class_names (Sequence[str]): Class names; label ``k`` is ``class_names[k]``.
        source (str): Name of the annotation file, for error messages.

    Returns:
        list[int]: One category id per class name.

    Raises:
        ValueError: A name is listed by several categories, or a class is not in the file.
    """
    ids_of = {}
    for cat_id, category in coco.cats.items():
        name = category['name']
        if name in ids_of:
            raise ValueError(f'{source}: category name {name!r} is used by ids '
                             f'{ids_of[name]} and {cat_id}; names must be unique')
        ids_of[name] = cat_id
    missing = [name for name in class_names if name not in ids_of]
    if missing:
        raise ValueError(f'{source}: classes {missing} are not among its categories '
                         f'{sorted(ids_of)}')
    return [ids_of[name] for name in class_names]


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
