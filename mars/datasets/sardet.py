"""SARDet-100k: SAR object detection, six classes, COCO annotations.

Layout of the release::

    data_root/Annotations/{train,val,test}.json     COCO instances
    data_root/JPEGImages/{train,val,test}/<name>    JPG, BMP or PNG, several sizes

Categories are mapped by *name* (:class:`~mars.datasets.coco_by_name.CocoByNameDataset`).
"""
from mars.registry import register_downstream
from .coco_by_name import CocoByNameDataset

SARDET_SPLITS = ('train', 'val', 'test')
SARDET_CLASSES = ('ship', 'aircraft', 'car', 'tank', 'bridge', 'harbor')


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
