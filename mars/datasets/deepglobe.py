"""DeepGlobe Road Extraction dataset (binary roads on 1024x1024 RGB tiles)."""
import os.path as osp

import mmengine
from mmengine import fileio
from mmseg.datasets import BaseSegDataset

from mars.registry import register_downstream

# How many missing masks an error message spells out before summarising the rest.
MAX_LISTED_MISSING = 5


@register_downstream('DATASETS', det=False)
class DeepGlobeRoadDataset(BaseSegDataset):
    """DeepGlobe Road Extraction Challenge dataset.

    The release is a flat folder per split holding ``<id>_sat.jpg`` (RGB, 1024x1024) next to
    ``<id>_mask.png`` (3-channel, road where the value is >= 128; load it with
    ``LoadDeepGlobeRoadMask``). Labels are 0 background and 1 road::

        data_root/
            train/104_sat.jpg, train/104_mask.png, ...
            train.txt            (optional: one id per line)

    Use ``data_prefix=dict(img_path='train')``; the masks are looked up in the same folder
    unless ``data_prefix['seg_map_path']`` names another one. Split files list ids (``104``);
    lines written as file names (``104_sat.jpg``) or with a trailing underscore (``104_``)
    are accepted too.

    Args:
        img_suffix (str): Suffix of images. Defaults to '_sat.jpg'.
        seg_map_suffix (str): Suffix of masks. Defaults to '_mask.png'.
        reduce_zero_label (bool): Must stay False: 0 is a real class (background).
            Defaults to False.
        ignore_index (int): Label ignored by losses and metrics. Defaults to 255.
        **kwargs: Passed to :class:`mmseg.datasets.BaseSegDataset` (``data_root``,
            ``data_prefix``, ``ann_file``, ``pipeline``, ...).
    """

    METAINFO = dict(classes=('background', 'road'), palette=[[0, 0, 0], [255, 255, 255]])

    def __init__(self, img_suffix='_sat.jpg', seg_map_suffix='_mask.png',
                 reduce_zero_label=False, ignore_index=255, **kwargs):
        super().__init__(
            img_suffix=img_suffix, seg_map_suffix=seg_map_suffix,
            reduce_zero_label=reduce_zero_label, ignore_index=ignore_index, **kwargs)

    def _id_from_line(self, line):
        """Tile id of one split-file line (``104``, ``104_``, ``104_sat.jpg`` -> ``104``)."""
        name = osp.basename(line.strip())
        for suffix in (self.img_suffix, self.seg_map_suffix):
            if name.endswith(suffix):
                return name[:-len(suffix)]
        return name.rstrip('_')

    def _ids_from_ann_file(self, img_dir):
        """Tile ids listed in ``ann_file``; every listed image must exist."""
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'DeepGlobe split file not found: {self.ann_file}')
        lines = mmengine.list_from_file(self.ann_file, backend_args=self.backend_args)
        ids = [self._id_from_line(line) for line in lines if line.strip()]
        if not ids:
            raise ValueError(f'DeepGlobe split file {self.ann_file} lists no ids')
        missing = [i for i in ids if not osp.isfile(osp.join(img_dir, i + self.img_suffix))]
        if missing:
            raise FileNotFoundError(
                f'{len(missing)} image(s) listed in {self.ann_file} are missing, first: '
                f'{osp.join(img_dir, missing[0] + self.img_suffix)}')
        return ids

    def _ids_from_folder(self, img_dir):
        """Tile ids of all ``*<img_suffix>`` files directly in ``img_dir``, sorted."""
        if not osp.isdir(img_dir):
            raise FileNotFoundError(f'DeepGlobe image folder not found: {img_dir}')
        names = fileio.list_dir_or_file(
            img_dir, list_dir=False, suffix=self.img_suffix, backend_args=self.backend_args)
        ids = sorted(name[:-len(self.img_suffix)] for name in names)
        if not ids:
            raise FileNotFoundError(
                f'no DeepGlobe images (*{self.img_suffix}) found in {img_dir}')
        return ids

    def _check_masks(self, mask_paths):
        """Fail listing the missing masks, so a half-copied dataset is caught at start-up."""
        missing = [path for path in mask_paths if not osp.isfile(path)]
        if not missing:
            return
        listed = ', '.join(missing[:MAX_LISTED_MISSING])
        more = len(missing) - MAX_LISTED_MISSING
        raise FileNotFoundError(
            f'{len(missing)} DeepGlobe mask(s) missing: {listed}'
            + (f' and {more} more' if more > 0 else ''))

    def load_data_list(self):
        """List the ``(image, mask)`` pairs of the split.

        Returns:
            list[dict]: One dict per tile with ``img_path``, ``seg_map_path`` and the
            mmseg label settings.
        """
        img_dir = self.data_prefix.get('img_path', '')
        ann_dir = self.data_prefix.get('seg_map_path') or img_dir
        if self.ann_file and not osp.isdir(self.ann_file):
            ids = self._ids_from_ann_file(img_dir)
        else:
            ids = self._ids_from_folder(img_dir)
        data_list = [
            dict(
                img_path=osp.join(img_dir, tile_id + self.img_suffix),
                seg_map_path=osp.join(ann_dir, tile_id + self.seg_map_suffix),
                label_map=self.label_map,
                reduce_zero_label=self.reduce_zero_label,
                seg_fields=[]) for tile_id in ids
        ]
        self._check_masks([info['seg_map_path'] for info in data_list])
        return data_list
