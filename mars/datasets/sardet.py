"""SARDet-100k: SAR object detection, six classes, COCO annotations.

Layout of the release (DESIGN.md section 6)::

    data_root/Annotations/{train,val,test}.json     COCO instances
    data_root/JPEGImages/{train,val,test}/<name>    JPG, BMP or PNG, several sizes

Categories are mapped by *name*: label ``k`` is the category named ``classes[k]``, whatever
ids and order the json gives them (mmdet's ``CocoDataset`` follows the json order).
"""
import os.path as osp

from mmdet.datasets import CocoDataset
from mmdet.datasets.api_wrappers import COCO

from mars.evaluation.metrics.coco_by_name_metric import cat_ids_by_name
from mars.registry import register_downstream

SARDET_SPLITS = ('train', 'val', 'test')
SARDET_CLASSES = ('ship', 'aircraft', 'car', 'tank', 'bridge', 'harbor')


class _NamedCOCO(COCO):
    """COCO api whose ``get_cat_ids(cat_names=...)`` keeps the order of ``cat_names``."""

    def __init__(self, annotation_file=None):
        self.source = annotation_file or 'COCO json'
        super().__init__(annotation_file)

    def get_cat_ids(self, cat_names=[], sup_names=[], cat_ids=[]):
        if cat_names and not sup_names and not cat_ids:
            return cat_ids_by_name(self, cat_names, self.source)
        return super().get_cat_ids(cat_names, sup_names, cat_ids)


class CocoByNameDataset(CocoDataset):
    """:class:`CocoDataset` mapping categories by name, checking that images exist.

    Args:
        check_files (bool): Raise at build time, naming the json and the file, when an
            image the annotations list (or one of its ``modality_paths``) is not on disk
            (local paths only), instead of failing mid-epoch. Defaults to True.
        **kwargs: :class:`CocoDataset` arguments.
    """

    COCOAPI = _NamedCOCO

    def __init__(self, *args, check_files=True, **kwargs):
        self.check_files = check_files
        super().__init__(*args, **kwargs)

    def load_data_list(self):
        data_list = super().load_data_list()
        if self.check_files:
            for info in data_list:
                paths = {info['img_path'], *info.get('modality_paths', {}).values()}
                for path in sorted(paths):
                    if '://' not in path and not osp.isfile(path):
                        raise FileNotFoundError(
                            f'{self.ann_file}: image {info["img_id"]} points to {path}, '
                            f'which does not exist')
        return data_list


@register_downstream('DATASETS', seg=False)
class SARDetDataset(CocoByNameDataset):
    """SARDet-100k (ship, aircraft, car, tank, bridge, harbor), see the module docstring.

    Configs set ``ann_file='Annotations/<split>.json'`` and
    ``data_prefix=dict(img='JPEGImages/<split>/')``. Takes the arguments of
    :class:`CocoByNameDataset`.
    """

    METAINFO = dict(
        classes=SARDET_CLASSES,
        palette=[(220, 20, 60), (0, 130, 255), (255, 180, 0), (0, 200, 120),
                 (160, 60, 220), (255, 100, 200)])
