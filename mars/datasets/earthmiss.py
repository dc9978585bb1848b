"""EarthMiss: RGB + SAR land cover with missing-modality evaluation (8 classes)."""
import os.path as osp

from mars.registry import register_downstream
from .multimodal_seg import MultiModalSegDataset

# The official split is by city (configs/landcover/earthmiss/README.md).
EARTHMISS_CITIES = dict(
    train=('America-Eugene', 'America-Louisville', 'French-Paris', 'Morocco-Casablanca',
           'Nanjing', 'Netherlands-Rotterdam', 'Singapore'),
    val=('Australia-PortHedland', 'America-Pake', 'Russian-Engels'),
    test=('America-NewYork', 'Japan-Hakodate', 'Peru-Callao'))


@register_downstream('DATASETS', det=False)
class EarthMissDataset(MultiModalSegDataset):
    """EarthMiss land-cover dataset (co-registered RGB and SAR, split by city).

    Layout of the release, one folder per city::

        data_root/<City>/images/RGB/<name>.tif|png
        data_root/<City>/images/SAR/<name>_SAR.tif|png
        data_root/<City>/masks/<name>_mask.tif|png

    Masks store 0 = no label and 1..8 = the classes below; with the default
    ``reduce_zero_label=True`` (``LoadRSAnnotations``) the model sees ``k - 1`` and 255
    (ignored) for 0. Each data info also carries ``city``.

    Palette: LoveDA's colours for the seven classes EarthMiss shares with it (EarthMiss is
    built on LoveDA's class scheme) and purple for Playground; the release's own colour
    table was not available, so treat the colours as a visualisation choice only.

    Args:
        split (str): ``'train'``, ``'val'`` or ``'test'``: picks the official cities.
            Defaults to 'train'.
        cities (Sequence[str], optional): City folders to use instead of the split's.
            Defaults to None.
        allow_missing (Sequence[str]): Modalities that may lack a file (e.g. ``('sar',)``
            for data whose SAR is partly missing). Defaults to ().
        reduce_zero_label (bool): Map mask 0 to 255 and ``k`` to ``k - 1``. Defaults to True.
        **kwargs: Passed to :class:`MultiModalSegDataset` / ``BaseSegDataset``
            (``data_root``, ``pipeline``, ``metainfo``, ...).
    """

    METAINFO = dict(
        classes=('Background', 'Building', 'Road', 'Water', 'Barren', 'Forest',
                 'Agricultural', 'Playground'),
        palette=[[255, 255, 255], [255, 0, 0], [255, 255, 0], [0, 0, 255], [159, 129, 183],
                 [0, 255, 0], [255, 195, 128], [165, 0, 165]])
    MODALITIES = dict(
        rgb=dict(folder=osp.join('images', 'RGB'), suffix=('.tif', '.png')),
        sar=dict(folder=osp.join('images', 'SAR'), suffix=('_SAR.tif', '_SAR.png')))
    LABEL = dict(folder='masks', suffix=('_mask.tif', '_mask.png'))

    def __init__(self, split='train', cities=None, allow_missing=(), reduce_zero_label=True,
                 **kwargs):
        if cities is None:
            if split not in EARTHMISS_CITIES:
                raise ValueError(f'split must be one of {tuple(EARTHMISS_CITIES)}, '
                                 f'got {split!r} (or pass cities=)')
            cities = EARTHMISS_CITIES[split]
        for key in ('split_file', 'ann_file'):
            if kwargs.get(key):
                raise ValueError(f'EarthMiss is split by city: pass cities=, not {key}=')
        self.split = split
        self.cities = tuple(cities)
        if not self.cities:
            raise ValueError('cities is empty')
        super().__init__(
            modalities=self.MODALITIES, label=self.LABEL, allow_missing=allow_missing,
            reduce_zero_label=reduce_zero_label, **kwargs)

    def _sample_groups(self):
        """One group per city folder, each sample tagged with its city."""
        groups = []
        for city in self.cities:
            folder = osp.join(self.data_root or '', city)
            if not osp.isdir(folder):
                raise FileNotFoundError(f'EarthMiss city folder not found: {folder}')
            groups.append((folder, dict(city=city)))
        return groups
