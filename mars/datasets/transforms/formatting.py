"""Packing multi-modal samples into mmseg's model inputs and data samples."""
from mmseg.datasets.transforms import PackSegInputs

from mars.registry import register_downstream
from mars.utils.modalities import MODALITY_KEYS

# mmseg's own default meta keys (read from its signature, so we follow its version).
SEG_META_KEYS = PackSegInputs.__init__.__defaults__[0]


@register_downstream('TRANSFORMS', det=False)
class PackMultiModalSegInputs(PackSegInputs):
    """mmseg's ``PackSegInputs`` that also packs the modality keys into the metainfo.

    ``inputs`` is the ``C x H x W`` float32 stack (all modalities); the data sample's
    metainfo additionally holds ``modalities``, ``modality_channels``, ``modality_mask``
    and ``modality_paths``, which the multi-modal data preprocessor and models read to
    split channels by modality and to ignore missing ones.

    Args:
        meta_keys (Sequence[str]): Keys copied into the metainfo when present. Defaults to
            mmseg's defaults plus the modality keys and ``modality_paths``.
    """

    def __init__(self, meta_keys=SEG_META_KEYS + MODALITY_KEYS + ('modality_paths', )):
        super().__init__(meta_keys=tuple(meta_keys))
