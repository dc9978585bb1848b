"""COCO detection datasets whose categories are mapped by *name*.

Label ``k`` is the category named ``classes[k]``, whatever ids and order the json gives
them (mmdet's ``CocoDataset`` follows the json order). The base of SARDet-100k and UBC-V2.
"""
import logging
import os.path as osp
from collections import Counter

from mmdet.datasets import CocoDataset
from mmdet.datasets.api_wrappers import COCO
from mmengine.logging import print_log

from mars.utils.coco_names import cat_ids_by_name

# Why mmdet's ``CocoDataset.parse_data_info`` leaves a box out, in the words of the messages.
DROP_REASONS = dict(
    size='width or height < 1 px or area <= 0',
    outside='outside the image',
    unknown_category='category id not among the file\'s categories',
    unlisted_category='category not in classes')
# Annotation ids quoted per reason.
MAX_QUOTED_IDS = 3


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
    """:class:`CocoDataset` mapping categories by name, checking images and dropped boxes.

    mmdet leaves out boxes whose width or height is under 1 px (or area <= 0), boxes outside
    the image and boxes of a category that is not in ``classes``, without a word. Here they
    are counted per reason (boxes flagged ``ignore`` are the file's own choice and not
    counted): one WARNING line at load names the annotation file and the counts, and a
    split losing more than ``max_dropped_box_share`` of its boxes is refused.

    Args:
        check_files (bool): Raise at build time, naming the json and the file, when an
            image the annotations list (or one of its ``modality_paths``) is not on disk
            (local paths only), instead of failing mid-epoch. Defaults to True.
        max_dropped_box_share (float): Largest share of a split's boxes that may be dropped
            (0.01: one box in a hundred); more raises a ``ValueError`` naming the file.
            1.0 never refuses. Defaults to 0.01.
        drop_unlisted_categories (bool): Boxes of categories the file lists but ``classes``
            leaves out (training on a subset of the classes on purpose) are still counted in
            the WARNING but not towards ``max_dropped_box_share``. Defaults to False.
        **kwargs: :class:`CocoDataset` arguments.
    """

    COCOAPI = _NamedCOCO

    def __init__(self, *args, check_files=True, max_dropped_box_share=0.01,
                 drop_unlisted_categories=False, **kwargs):
        if not 0 <= max_dropped_box_share <= 1:
            raise ValueError(f'max_dropped_box_share must be a share in [0, 1], got '
                             f'{max_dropped_box_share!r}')
        self.check_files = check_files
        self.max_dropped_box_share = max_dropped_box_share
        self.drop_unlisted_categories = drop_unlisted_categories
        super().__init__(*args, **kwargs)

    def _drop_reason(self, ann, img_info):
        """Key of :data:`DROP_REASONS` for a box mmdet leaves out, None for a kept one.

        The same tests as ``CocoDataset.parse_data_info``; a box with no size is reported
        as such rather than as outside the image.
        """
        x1, y1, w, h = ann['bbox']
        if ann['area'] <= 0 or w < 1 or h < 1:
            return 'size'
        inter_w = max(0, min(x1 + w, img_info['width']) - max(x1, 0))
        inter_h = max(0, min(y1 + h, img_info['height']) - max(y1, 0))
        if inter_w * inter_h == 0:
            return 'outside'
        if ann['category_id'] not in self.cat_ids:
            return ('unlisted_category' if ann['category_id'] in self.coco.cats
                    else 'unknown_category')
        return None

    def parse_data_info(self, raw_data_info):
        info = super().parse_data_info(raw_data_info)
        for ann in raw_data_info['raw_ann_info']:
            if ann.get('ignore', False):
                continue
            self._box_count += 1
            reason = self._drop_reason(ann, raw_data_info['raw_img_info'])
            if reason is not None:
                self._dropped.setdefault(reason, []).append(ann.get('id'))
                if reason == 'unlisted_category':
                    self._dropped_names[self.coco.cats[ann['category_id']]['name']] += 1
        return info

    def _check_dropped_boxes(self):
        """One WARNING line on the dropped boxes; refuse above ``max_dropped_box_share``."""
        if not self._dropped:
            return
        dropped = sum(len(ids) for ids in self._dropped.values())
        parts = []
        for reason, ids in self._dropped.items():
            names = (' (' + ', '.join(f'{n}: {c}' for n, c in self._dropped_names.items())
                     + ')' if reason == 'unlisted_category' else '')
            parts.append(f'{len(ids)} {DROP_REASONS[reason]}{names}, e.g. annotation ids '
                         f'{ids[:MAX_QUOTED_IDS]}')
        summary = (f'{self.ann_file}: {dropped} of {self._box_count} boxes '
                   f'({dropped / self._box_count:.2%}) are dropped: ' + '; '.join(parts))
        print_log(summary, logger='current', level=logging.WARNING)
        counted = dropped - (len(self._dropped.get('unlisted_category', []))
                             if self.drop_unlisted_categories else 0)
        if counted > self.max_dropped_box_share * self._box_count:
            raise ValueError(
                f'{summary}. That is more than max_dropped_box_share='
                f'{self.max_dropped_box_share} of the split: fix the annotations, or raise '
                f'max_dropped_box_share (or set drop_unlisted_categories=True for a class '
                f'subset chosen on purpose) in the dataset config')

    def load_data_list(self):
        self._box_count, self._dropped, self._dropped_names = 0, {}, Counter()
        data_list = super().load_data_list()
        self._check_dropped_boxes()
        if self.check_files:
            for info in data_list:
                paths = {info['img_path'], *info.get('modality_paths', {}).values()}
                for path in sorted(paths):
                    if '://' not in path and not osp.isfile(path):
                        raise FileNotFoundError(
                            f'{self.ann_file}: image {info["img_id"]} points to {path}, '
                            f'which does not exist')
        return data_list
