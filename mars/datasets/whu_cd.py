"""Change-detection datasets: a generic bi-temporal dataset and WHU-CD.

A change sample pairs two dates (and a label) by file stem, exactly as
:class:`MultiModalSegDataset` pairs modalities; the dates are its "modalities" (named e.g.
``t1`` / ``t2``) and ``img_path`` is the list of the two files, first date first (open-cd
convention). Load with :class:`~mars.datasets.transforms.LoadBitemporalImages`.
"""
import os.path as osp

from mars.registry import register_downstream
from .multimodal_seg import MultiModalSegDataset


@register_downstream('DATASETS', det=False)
class BitemporalSegDataset(MultiModalSegDataset):
    """Generic change-detection dataset: two dates and a label per sample, paired by stem.

    Files are read from ``<data_root>/<split>/`` (``split=''`` reads ``data_root`` itself);
    an optional ``split_file`` (relative to ``data_root``) restricts and orders the samples.
    Each data info holds ``img_path`` (list of the two date files), ``modality_paths``
    (date name -> file), ``seg_map_path``, ``sample_name`` and ``split``.

    Args:
        dates (dict[str, dict]): Exactly two dates in stacking order, each with
            ``folder`` and ``suffix`` / ``pattern`` as in :class:`MultiModalSegDataset`.
        split (str): Sub-folder of ``data_root`` holding the date folders. Defaults to ''.
        **kwargs: Passed to :class:`MultiModalSegDataset` (``label``, ``split_file``,
            ``data_root``, ``metainfo``, ``pipeline``, ...).
    """

    def __init__(self, dates, split='', **kwargs):
        if len(dates) != 2:
            raise ValueError(f'{self.__class__.__name__} needs exactly two dates, got '
                             f'{list(dates)}')
        if kwargs.get('allow_missing'):
            raise ValueError('a change sample needs both dates: allow_missing is not '
                             'supported')
        self.split = split
        super().__init__(modalities=dates, **kwargs)

    @property
    def dates(self):
        """tuple[str]: Date names, in stacking order."""
        return self.modality_names

    def _sample_groups(self):
        root = osp.join(self.data_root or '', self.split) if self.split else self.data_root
        if root and not osp.isdir(root):
            raise FileNotFoundError(f'{self.__class__.__name__} split folder not found: '
                                    f'{root}')
        return [(root or '', dict(split=self.split))]

    def load_data_list(self):
        """Pair the two dates and the label of every sample.

        Returns:
            list[dict]: One data info per sample, ``img_path`` a list of two files.
        """
        data_list = super().load_data_list()
        for info in data_list:
            info['img_path'] = [info['modality_paths'][name] for name in self.dates]
        return data_list


@register_downstream('DATASETS', det=False)
class WHUCDDataset(BitemporalSegDataset):
    """WHU-CD building change detection (aerial RGB pairs, 0.3 m).

    Layout (the 256x256 tiles distributed for change detection)::

        data_root/{train,val,test}/A/<name>.png       RGB, first date (2012)
        data_root/{train,val,test}/B/<name>.png       RGB, second date (2016)
        data_root/{train,val,test}/label/<name>.png   0 unchanged, 255 changed

    ``.tif`` files are accepted too. Optional split lists (one file name or stem per line,
    e.g. ``list/train.txt``) are given as ``split_file`` relative to ``data_root``; with
    ``split=''`` the lists select from flat ``A/``, ``B/``, ``label/`` folders. Load the
    labels with ``LoadDeepGlobeRoadMask`` (values >= 128 -> 1): 0/255 becomes 0/1.

    Args:
        split (str): Split folder (``'train'``, ``'val'``, ``'test'`` or ``''``).
            Defaults to 'train'.
        **kwargs: Passed to :class:`BitemporalSegDataset` (``data_root``, ``split_file``,
            ``pipeline``, ...).
    """

    METAINFO = dict(classes=('unchanged', 'change'), palette=[[0, 0, 0], [255, 255, 255]])
    DATES = dict(t1=dict(folder='A', suffix=('.png', '.tif')),
                 t2=dict(folder='B', suffix=('.png', '.tif')))
    LABEL = dict(folder='label', suffix=('.png', '.tif'))

    def __init__(self, split='train', **kwargs):
        for key in ('dates', 'modalities', 'label'):
            if key in kwargs:
                raise ValueError(f'WHUCDDataset has a fixed layout: do not pass {key}=')
        super().__init__(dates=self.DATES, split=split, label=self.LABEL, **kwargs)
