"""Cascade (Mask) R-CNN that hands each sample's modality mask to a multi-modal backbone."""
from mmdet.models.detectors import CascadeRCNN

from mars.models.segmentors.multimodal_encoder_decoder import stack_modality_mask
from mars.registry import register_downstream


@register_downstream('MODELS', seg=False)
class MultiModalCascadeRCNN(CascadeRCNN):
    """:class:`CascadeRCNN` passing ``modality_mask`` to the backbone.

    mmdet detectors call ``extract_feat(batch_inputs)`` without the data samples, so
    ``loss``, ``predict`` and ``_forward`` stack the samples' ``modality_mask`` metainfo
    (aligned by ``modalities`` names, all present when absent) for the duration of the
    call. A missing modality is thus masked in the fusion, never read as zeros. Backbones
    without ``accepts_modality_mask`` are called as usual. Takes the arguments of
    :class:`CascadeRCNN` (with mask heads it is Cascade Mask R-CNN).
    """

    _modality_mask = None

    def _with_mask(self, method, batch_inputs, batch_data_samples, **kwargs):
        if getattr(self.backbone, 'accepts_modality_mask', False) and batch_data_samples:
            self._modality_mask = stack_modality_mask(
                [s.metainfo for s in batch_data_samples], self.backbone.modalities,
                batch_inputs.device)
        try:
            return method(batch_inputs, batch_data_samples, **kwargs)
        finally:
            self._modality_mask = None

    def extract_feat(self, batch_inputs):
        """Backbone features (masked fusion when a mask is set) through the neck."""
        if self._modality_mask is None:
            x = self.backbone(batch_inputs)
        else:
            x = self.backbone(batch_inputs, modality_mask=self._modality_mask)
        return self.neck(x) if self.with_neck else x

    def loss(self, batch_inputs, batch_data_samples):
        return self._with_mask(super().loss, batch_inputs, batch_data_samples)

    def predict(self, batch_inputs, batch_data_samples, rescale=True):
        return self._with_mask(super().predict, batch_inputs, batch_data_samples,
                               rescale=rescale)

    def _forward(self, batch_inputs, batch_data_samples=None):
        return self._with_mask(super()._forward, batch_inputs, batch_data_samples)
