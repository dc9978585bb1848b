"""Encoder-decoder segmentor that hands each sample's modality mask to the backbone."""
import torch
from mmseg.models.segmentors import EncoderDecoder

from mars.registry import register_downstream


def stack_modality_mask(batch_img_metas, modalities, device=None):
    """Stack the samples' ``modality_mask`` metainfo into a BoolTensor ``[B, M]``.

    Flags are matched by name: a sample's ``modalities`` metainfo (when present) names its
    ``modality_mask`` entries, otherwise they follow ``modalities``. A sample without a
    mask has every modality present.

    Args:
        batch_img_metas (list[dict]): Metainfo of each sample.
        modalities (Sequence[str]): The backbone's modality order.
        device (torch.device, optional): Device of the result.

    Returns:
        Tensor: BoolTensor ``[B, M]``, True = present.
    """
    rows = []
    for index, meta in enumerate(batch_img_metas):
        if meta.get('modality_mask') is None:
            rows.append([True] * len(modalities))
            continue
        names = tuple(meta.get('modalities', modalities))
        mask = tuple(bool(m) for m in meta['modality_mask'])
        if len(mask) != len(names):
            raise ValueError(f'sample {index}: modality_mask {mask} has {len(mask)} values '
                             f'for modalities {names}')
        flags = dict(zip(names, mask))
        missing = [n for n in modalities if n not in flags]
        if missing:
            raise KeyError(f'sample {index}: metainfo modalities {names} lack the '
                           f'backbone modalities {missing}')
        rows.append([flags[n] for n in modalities])
    return torch.tensor(rows, dtype=torch.bool, device=device)


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
        return getattr(self.backbone, 'accepts_modality_mask', False)

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
