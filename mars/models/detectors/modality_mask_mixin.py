"""Modality masks for mmdet two-stage detectors, passed along with the inputs."""
from typing import NamedTuple, Optional

import torch

from mars.utils.modalities import backbone_takes_mask, stack_modality_mask


class MaskedInputs(NamedTuple):
    """A batch of stacked inputs with its ``[B, M]`` modality mask (None: all present)."""

    inputs: torch.Tensor
    modality_mask: Optional[torch.Tensor]


class ModalityMaskDetectorMixin:
    """Hands each sample's ``modality_mask`` to a multi-modal backbone in an mmdet
    two-stage detector (Faster R-CNN, Cascade (Mask) R-CNN, ...).

    mmdet's ``loss``, ``predict`` and ``_forward`` read the inputs only through
    ``extract_feat(batch_inputs)``, which gets no data samples. The mixin therefore hands
    them a :class:`MaskedInputs` (the tensor and the mask stacked from the samples'
    metainfo, see :func:`~mars.utils.modalities.stack_modality_mask`), which its
    ``extract_feat`` unpacks: the mask travels with the data, nothing is kept on the model,
    so calls are re-entrant. Backbones without ``accepts_modality_mask`` are called as
    usual; a plain tensor given to ``extract_feat`` means every modality is present.

    List it before the mmdet detector: ``class X(ModalityMaskDetectorMixin, FasterRCNN)``.
    """

    def _masked(self, batch_inputs, batch_data_samples):
        mask = None
        if backbone_takes_mask(self.backbone) and batch_data_samples:
            mask = stack_modality_mask([s.metainfo for s in batch_data_samples],
                                       self.backbone.modalities, batch_inputs.device)
        return MaskedInputs(batch_inputs, mask)

    def extract_feat(self, batch_inputs):
        """Backbone features (masked fusion when the batch has a mask) through the neck."""
        inputs, mask = (batch_inputs if isinstance(batch_inputs, MaskedInputs) else
                        (batch_inputs, None))
        if mask is None:
            x = self.backbone(inputs)
        else:
            x = self.backbone(inputs, modality_mask=mask)
        return self.neck(x) if self.with_neck else x

    def loss(self, batch_inputs, batch_data_samples):
        return super().loss(self._masked(batch_inputs, batch_data_samples),
                            batch_data_samples)

    def predict(self, batch_inputs, batch_data_samples, rescale=True):
        return super().predict(self._masked(batch_inputs, batch_data_samples),
                               batch_data_samples, rescale=rescale)

    def _forward(self, batch_inputs, batch_data_samples=None):
        return super()._forward(self._masked(batch_inputs, batch_data_samples),
                                batch_data_samples)
