"""Encoder-decoder segmentor that hands each sample's modality mask to the backbone."""
from mmseg.models.segmentors import EncoderDecoder

from mars.utils.modalities import backbone_takes_mask, stack_modality_mask
from mars.registry import register_downstream


@register_downstream('MODELS', det=False)
class MultiModalEncoderDecoder(EncoderDecoder):
    """:class:`EncoderDecoder` passing ``modality_mask`` to a multi-modal backbone.

    The mask comes from each sample's metainfo (``modality_mask``, aligned by the
    ``modalities`` names; all present when absent) in training (``loss``), whole and
    sliding-window inference (through ``encode_decode``) and ``_forward``. Backbones
    without ``accepts_modality_mask = True`` (a plain :class:`MaRSBackbone`) are called
    without it, so the segmentor works with single-modality backbones too.

    Takes the arguments of :class:`mmseg.models.EncoderDecoder`.
    """

    @property
    def with_modality_mask(self):
        """bool: Whether the backbone takes a ``modality_mask``."""
        return backbone_takes_mask(self.backbone)

    def modality_mask(self, batch_img_metas, inputs):
        """BoolTensor ``[B, M]`` for the backbone, or None if it takes no mask."""
        if not self.with_modality_mask or batch_img_metas is None:
            return None
        return stack_modality_mask(batch_img_metas, self.backbone.modalities, inputs.device)

    def extract_feat(self, inputs, modality_mask=None):
        """Backbone (with the mask when it takes one) and neck features."""
        if self.with_modality_mask:
            x = self.backbone(inputs, modality_mask=modality_mask)
        else:
            x = self.backbone(inputs)
        if self.with_neck:
            x = self.neck(x)
        return x

    def encode_decode(self, inputs, batch_img_metas):
        """Segmentation logits of ``inputs`` (whole images or sliding-window crops)."""
        x = self.extract_feat(inputs, self.modality_mask(batch_img_metas, inputs))
        return self.decode_head.predict(x, batch_img_metas, self.test_cfg)

    def loss(self, inputs, data_samples):
        """Losses of the decode and auxiliary heads, with the samples' modality masks."""
        metas = [sample.metainfo for sample in data_samples]
        x = self.extract_feat(inputs, self.modality_mask(metas, inputs))
        losses = self._decode_head_forward_train(x, data_samples)
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(x, data_samples))
        return losses

    def _forward(self, inputs, data_samples=None):
        metas = None if data_samples is None else [s.metainfo for s in data_samples]
        x = self.extract_feat(inputs, self.modality_mask(metas, inputs))
        return self.decode_head.forward(x)
