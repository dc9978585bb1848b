"""WHU-CD building change detection (two RGB dates, binary change label)."""
from mars.registry import register_downstream
from .bitemporal_seg import BitemporalSegDataset


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
