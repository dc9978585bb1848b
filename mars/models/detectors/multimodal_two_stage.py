"""Multi-modal two-stage detectors: mmdet's, with the samples' modality masks handed to a
multi-modal backbone (:class:`ModalityMaskDetectorMixin`)."""
from mmdet.models.detectors import CascadeRCNN, FasterRCNN

from mars.registry import register_downstream
from .modality_mask_mixin import ModalityMaskDetectorMixin


@register_downstream('MODELS', seg=False)
class MultiModalCascadeRCNN(ModalityMaskDetectorMixin, CascadeRCNN):
    """:class:`CascadeRCNN` passing ``modality_mask`` to the backbone.

    A missing modality is masked in the fusion, never read as zeros. Backbones without
    ``accepts_modality_mask`` are called as usual. Takes the arguments of
    :class:`CascadeRCNN` (with mask heads it is Cascade Mask R-CNN).
    """


@register_downstream('MODELS', seg=False)
class MultiModalFasterRCNN(ModalityMaskDetectorMixin, FasterRCNN):
    """:class:`FasterRCNN` passing ``modality_mask`` to the backbone, as
    :class:`MultiModalCascadeRCNN`. Takes the arguments of :class:`FasterRCNN`."""
