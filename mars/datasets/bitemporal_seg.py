"""The generic change-detection dataset: two dates and a label per sample, paired by stem.

A change sample pairs two dates (and a label) by file stem, exactly as
:class:`MultiModalSegDataset` pairs modalities; the dates are its "modalities" (named e.g.
``t1`` / ``t2``) and ``img_path`` is the list of the two files, first date first (open-cd
convention). Load with :class:`~mars.datasets.transforms.LoadBitemporalImages`. WHU-CD and
BRIGHT are its subclasses.
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
