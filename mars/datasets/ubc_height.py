"""UBC building height (DFC23 track 2): RGB + SAR in, per-pixel height in metres out.

Layout of the release::

    data_root/{train,val,test}/rgb/<id>.tif      uint8 HxWx3
    data_root/{train,val,test}/sar/<id>.tif      HxW
    data_root/{train,val,test}/height/<id>.tif   float32 HxW metres, 0 = ground
                                                 (the folder may also be named ``dsm``)

Data infos carry the height file as ``height_path`` (not ``seg_map_path``: the label is a
float regression target, not class ids, so mmseg's class loaders must not read it); load
it with :class:`~mars.datasets.transforms.LoadHeightAnnotation`, which stores
``gt_depth_map``.
"""
import os
import os.path as osp

import numpy as np

from mars.registry import register_downstream
from mars.utils.withheld_labels import without_labels
from .multimodal_seg import MultiModalSegDataset

UBC_SPLITS = ('train', 'val', 'test')
HEIGHT_FOLDERS = ('height', 'dsm')


def holdout_split(stems, fraction=0.2, seed=0):
    """Deterministic, disjoint ``(train, val)`` split of ``stems``.

    The stems are sorted first, so the split depends only on the set of stems, ``fraction``
    and ``seed`` (not on listing order). At least one stem goes to each side when there are
    two or more stems.

    Args:
        stems (Sequence[str]): Sample ids.
        fraction (float): Fraction held out as ``val``, in ``(0, 1)``. Defaults to 0.2.
        seed (int): Seed of the permutation. Defaults to 0.

    Returns:
        tuple[list[str], list[str]]: ``(train_ids, val_ids)``, each sorted.
    """
    if not 0 < fraction < 1:
        raise ValueError(f'holdout fraction must be in (0, 1), got {fraction}')
    stems = sorted(stems)
    if len(stems) < 2:
        raise ValueError(f'holdout needs at least 2 samples to split, found {len(stems)}')
    num_val = min(max(int(round(fraction * len(stems))), 1), len(stems) - 1)
    order = np.random.default_rng(seed).permutation(len(stems))
    val = {stems[i] for i in order[:num_val]}
    return [s for s in stems if s not in val], [s for s in stems if s in val]


@register_downstream('DATASETS', det=False)
class UBCHeightDataset(MultiModalSegDataset):
    """UBC / DFC23 track 2 building-height dataset (RGB + SAR -> height in metres).

    Pairs ``<split>/rgb``, ``<split>/sar`` and ``<split>/height`` (or ``<split>/dsm``) by
    file stem. Each data info holds ``modality_paths`` (``rgb``, ``sar``), ``img_path`` (the
    RGB file), ``height_path``, ``seg_map_path`` (None: see the module docstring),
    ``seg_fields`` (empty; the loader appends ``gt_depth_map``), ``sample_name`` and
    ``split``.

    Without labelled ``val`` / ``test`` folders, ``holdout`` carves a validation set out of
    ``train``: ``holdout=dict(fraction=0.2, seed=0, part='val')`` uses the 20 % held-out ids
    of ``train/`` and ``part='train'`` the other 80 % (see :func:`holdout_split`; the two
    parts are disjoint and the same on every run and process). ``part`` defaults to
    ``split``. The ids used are written to ``<split_record_dir>/<part>_ids.txt`` when
    ``split_record_dir`` is given (e.g. the work dir), so a run can be reproduced.

    DFC23 track 2 released its test split without heights (the benchmark scored
    submissions): ``with_labels=False`` reads ``<split>/rgb`` and ``<split>/sar`` only
    (``height_path`` is None), drops ``LoadHeightAnnotation`` from the pipeline and marks
    the metainfo ``labels_withheld``, so :class:`~mars.evaluation.HeightMetric` writes
    the submission TIFFs instead of metrics.

    Args:
        split (str): ``'train'``, ``'val'`` or ``'test'``: the folder read (``train`` when
            ``holdout`` is given). Defaults to 'train'.
        holdout (dict, optional): ``fraction`` (default 0.2), ``seed`` (default 0) and
            ``part`` (``'train'`` or ``'val'``). Defaults to None (use the split's folder).
        split_record_dir (str, optional): Folder to write ``<part>_ids.txt`` into (with
            ``holdout`` or not). Defaults to None (write nothing).
        height_folder (str, optional): Name of the height folder; None finds ``height`` or
            ``dsm``. Defaults to None.
        with_labels (bool): Read the height folder. False for a split whose labels are
            withheld (not with ``holdout``). Defaults to True.
        **kwargs: Passed to :class:`MultiModalSegDataset` / ``BaseSegDataset``
            (``data_root``, ``pipeline``, ``test_mode``, ...).
    """

    METAINFO = dict(classes=('height', ), palette=[[255, 255, 255]])
    MODALITIES = dict(rgb=dict(folder='rgb', suffix='.tif'),
                      sar=dict(folder='sar', suffix='.tif'))

    LABEL_LOADERS = ('LoadHeightAnnotation', )

    def __init__(self, split='train', holdout=None, split_record_dir=None, height_folder=None,
                 with_labels=True, **kwargs):
        if split not in UBC_SPLITS:
            raise ValueError(f'split must be one of {UBC_SPLITS}, got {split!r}')
        for key in ('modalities', 'label', 'split_file', 'ann_file'):
            if kwargs.get(key):
                raise ValueError(f'UBCHeightDataset has a fixed layout: do not pass {key}=')
        self.split = split
        self.holdout = self._check_holdout(holdout, split)
        self.split_record_dir = split_record_dir
        self.height_folder = height_folder
        self.folder = 'train' if self.holdout else split
        self.with_labels = with_labels
        if not with_labels:
            if holdout is not None:
                raise ValueError('UBCHeightDataset: holdout splits labelled train/ data; it '
                                 'cannot be combined with with_labels=False (set '
                                 'holdout=None)')
            kwargs = without_labels(type(self).__name__, kwargs, self.LABEL_LOADERS)
            label = None
        else:
            data_root = kwargs.get('data_root') or ''
            self.height_folder = self._find_height_folder(osp.join(data_root, self.folder))
            label = dict(folder=self.height_folder, suffix='.tif')
        super().__init__(modalities=self.MODALITIES, label=label, **kwargs)

    @staticmethod
    def _check_holdout(holdout, split):
        if holdout is None:
            return None
        holdout = dict(holdout)
        unknown = set(holdout) - {'fraction', 'seed', 'part'}
        if unknown:
            raise ValueError(f'holdout has unknown keys {sorted(unknown)}; expected '
                             'fraction, seed, part')
        holdout.setdefault('fraction', 0.2)
        holdout.setdefault('seed', 0)
        holdout.setdefault('part', split)
        if holdout['part'] not in ('train', 'val'):
            raise ValueError(f"holdout part must be 'train' or 'val', got {holdout['part']!r}")
        if holdout['part'] != split and split != 'train':
            raise ValueError(f"holdout part {holdout['part']!r} disagrees with split {split!r}")
        return holdout

    def _find_height_folder(self, split_dir):
        """The height folder name under ``split_dir`` (``height`` or ``dsm``)."""
        names = (self.height_folder, ) if self.height_folder else HEIGHT_FOLDERS
        found = [name for name in names if osp.isdir(osp.join(split_dir, name))]
        if not found:
            raise FileNotFoundError(
                f'no height folder in {split_dir}: expected one of '
                f'{[osp.join(split_dir, n) for n in names]}')
        if len(found) > 1:
            raise ValueError(f'both {found} exist in {split_dir}; pass height_folder=')
        return found[0]

    @property
    def part(self):
        """The name of the samples used: ``holdout['part']`` or ``split``."""
        return self.holdout['part'] if self.holdout else self.split

    def _sample_groups(self):
        return [(osp.join(self.data_root or '', self.folder), dict(split=self.part))]

    def load_data_list(self):
        """List RGB / SAR / height triplets (restricted to the holdout part if any).

        Returns:
            list[dict]: One data info per sample, with ``height_path``.
        """
        data_list = super().load_data_list()
        for info in data_list:
            info['height_path'] = info.pop('seg_map_path')
            info['seg_map_path'] = None
        if self.holdout:
            train_ids, val_ids = holdout_split(
                [info['sample_name'] for info in data_list], self.holdout['fraction'],
                self.holdout['seed'])
            keep = set(train_ids if self.holdout['part'] == 'train' else val_ids)
            data_list = [info for info in data_list if info['sample_name'] in keep]
        if self.split_record_dir:
            self._write_record([info['sample_name'] for info in data_list],
                               self.split_record_dir)
        return data_list

    def record_split(self, folder):
        """Write the ids of this dataset to ``<folder>/<part>_ids.txt``; returns the path.

        ``SplitRecordHook`` calls it with the work dir.
        """
        return self._write_record(
            [self.get_data_info(i)['sample_name'] for i in range(len(self))], folder)

    def _write_record(self, ids, folder):
        """Write ``ids`` to ``<folder>/<part>_ids.txt``."""
        os.makedirs(folder, exist_ok=True)
        path = osp.join(folder, f'{self.part}_ids.txt')
        with open(path, 'w') as f:
            f.writelines(f'{stem}\n' for stem in ids)
        return path
