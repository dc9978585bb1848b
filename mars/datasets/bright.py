"""BRIGHT / DFC25 track 2: building damage from optical pre-event and SAR post-event."""
from mars.registry import register_downstream
from mars.utils.bright_names import bright_event
from mars.utils.withheld_labels import without_labels
from .bitemporal_seg import BitemporalSegDataset


@register_downstream('DATASETS', det=False)
class BRIGHTDataset(BitemporalSegDataset):
    """BRIGHT (DFC25 track 2) building damage: optical pre-event + SAR post-event.

    Layout (1024x1024 tiles)::

        data_root/<split>/pre-event/<event>_<8 digits>_pre_disaster.tif    optical (first
                                                                           3 bands used)
        data_root/<split>/post-event/<event>_<8 digits>_post_disaster.tif  SAR, 1 band
        data_root/<split>/target/<event>_<8 digits>_building_damage.tif    uint8 label

    Labels: 0 background, 1 intact, 2 damaged, 3 destroyed. The release's split lists
    (``train_setlevel.txt``, ``val_setlevel.txt``, ``holdout_setlevel.txt``, one
    ``<event>_<8 digits>`` per line) are given as ``split_file``; with ``split=''`` they
    select from flat ``pre-event/``, ``post-event/``, ``target/`` folders. Dates are named
    ``pre`` and ``post``; each data info also carries ``event``.

    DFC25 track 2 released its val and test splits without ``target/`` (the benchmark
    scored submissions): ``with_labels=False`` reads such a split, drops
    ``LoadRSAnnotations`` from the pipeline and marks the metainfo ``labels_withheld``, so
    :class:`~mars.evaluation.DamageMetric` writes the submission PNGs instead of metrics.

    Args:
        split (str): Split folder under ``data_root`` (``''``: none). Defaults to 'train'.
        with_labels (bool): Read ``target/``. False for a split whose labels are withheld.
            Defaults to True.
        **kwargs: Passed to :class:`BitemporalSegDataset` (``data_root``, ``split_file``,
            ``pipeline``, ...).
    """

    METAINFO = dict(
        classes=('background', 'intact', 'damaged', 'destroyed'),
        palette=[[0, 0, 0], [70, 181, 121], [228, 189, 139], [182, 70, 69]])
    DATES = dict(pre=dict(folder='pre-event', suffix='_pre_disaster.tif'),
                 post=dict(folder='post-event', suffix='_post_disaster.tif'))
    LABEL = dict(folder='target', suffix='_building_damage.tif')

    LABEL_LOADERS = ('LoadRSAnnotations', 'LoadAnnotations')

    def __init__(self, split='train', with_labels=True, **kwargs):
        for key in ('dates', 'modalities', 'label'):
            if key in kwargs:
                raise ValueError(f'BRIGHTDataset has a fixed layout: do not pass {key}=')
        self.with_labels = with_labels
        if not with_labels:
            kwargs = without_labels(type(self).__name__, kwargs, self.LABEL_LOADERS)
        super().__init__(dates=self.DATES, split=split,
                         label=self.LABEL if with_labels else None, **kwargs)

    def load_data_list(self):
        """Pair pre-event, post-event and target files; tag each sample with its event.

        Returns:
            list[dict]: One data info per sample, with ``event``.
        """
        data_list = super().load_data_list()
        for info in data_list:
            info['event'] = bright_event(info['sample_name'])
        return data_list
