"""UBC-V2 (DFC23 track 1): building instances from RGB + SAR, COCO annotations.

Layout of the release::

    data_root/annotations/roof_fine_{train,val}.json   COCO instances, 12 roof classes
    data_root/{train,val}/rgb/<id>.tif                  uint8 HxWx3
    data_root/{train,val}/sar/<id>.tif                  HxW
    data_root/{train,val}/merge/<id>.tif                HxWx4: R, G, B, SAR

The benchmark collapses the roofs into one ``building`` class
(``tools/dataset_converters/ubcv2_single_category.py`` writes ``roof_single_<split>.json``);
the 12 fine classes are a config switch (``metainfo=dict(classes=UBCV2_FINE_CLASSES)`` with
the fine json). Categories are mapped by name.

Two ways to read the bands: the ``merge`` file (``data_prefix=dict(img='<split>/merge/')``,
loaded by ``LoadMergedModalities``), or the ``rgb/`` + ``sar/`` pair
(``paired_modalities=('rgb', 'sar')`` with ``data_prefix`` entries ``rgb`` and ``sar``,
loaded by ``LoadMultiModalImages``).
"""
import os.path as osp

from mars.registry import register_downstream
from .coco_by_name import CocoByNameDataset

UBCV2_FINE_CLASSES = ('flat_roof', 'gable_roof', 'gambrel_roof', 'row_roof',
                      'multiple_eave_roof', 'hipped_roof_v1', 'hipped_roof_v2', 'mansard_roof',
                      'pyramid_roof', 'arched_roof', 'revolved', 'other')


@register_downstream('DATASETS', seg=False)
class UBCV2Dataset(CocoByNameDataset):
    """UBC-V2 building instances (one ``building`` class by default), see the module
    docstring.

    Args:
        paired_modalities (Sequence[str]): Modalities read from their own folders; each
            needs a ``data_prefix`` entry of its name, and the data infos get
            ``modality_paths``. Empty (default) reads ``img_path`` (the merge file).
            Defaults to ().
        **kwargs: :class:`CocoByNameDataset` arguments.
    """

    METAINFO = dict(classes=('building', ), palette=[(255, 120, 0)])

    def __init__(self, *args, paired_modalities=(), **kwargs):
        self.paired_modalities = tuple(paired_modalities)
        super().__init__(*args, **kwargs)

    def load_data_list(self):
        missing = [m for m in self.paired_modalities if m not in self.data_prefix]
        if missing:
            raise KeyError(f'paired_modalities {self.paired_modalities} need data_prefix '
                           f'entries {missing}; got data_prefix={self.data_prefix}')
        return super().load_data_list()

    def parse_data_info(self, raw_data_info):
        info = super().parse_data_info(raw_data_info)
        if self.paired_modalities:
            file_name = raw_data_info['raw_img_info']['file_name']
            info['modality_paths'] = {
                name: osp.join(self.data_prefix[name], file_name)
                for name in self.paired_modalities}
        return info
