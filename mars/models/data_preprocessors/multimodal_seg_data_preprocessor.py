"""Segmentation data preprocessor for stacked multi-modal inputs (RGB + SAR)."""
from mmseg.models.data_preprocessor import SegDataPreProcessor

from mars.registry import register_downstream
from .per_modality import PerModalityNormalization


@register_downstream('MODELS', det=False)
class MultiModalSegDataPreProcessor(PerModalityNormalization, SegDataPreProcessor):
    """Per-modality normalisation and modality masks, then mmseg's padding and stacking.

    Inputs stack the modalities on the channel axis in the order of ``modalities``. Each
    modality is normalised with its own mean / std; then the channels of every modality
    that a sample's metainfo ``modality_mask`` marks missing are set to zero, so a missing
    modality is zeros after normalisation, and masked. Every data sample leaves with
    ``modalities``, ``modality_channels`` and ``modality_mask`` in its metainfo (all present
    when the sample had no mask).

    ``available_modalities`` forces an availability pattern, as the missing-modality
    evaluation does (``model.data_preprocessor.available_modalities = ('rgb',)``): the
    other modalities are masked and zero-filled in every sample.

    Args:
        modalities (dict[str, dict]): Ordered ``name -> dict(mean=[...], std=[...])``; a
            modality has as many channels as its ``mean`` has values.
        size (tuple, optional): Fixed padding size. Defaults to None.
        size_divisor (int, optional): Pad to a multiple of it. Defaults to None.
        pad_val (float): Padding value of the (normalised) inputs. Defaults to 0.
        seg_pad_val (float): Padding value of segmentation maps. Defaults to 255.
        batch_augments (list[dict], optional): mmseg batch augmentations. Defaults to None.
        test_cfg (dict, optional): ``size`` / ``size_divisor`` padding at test time.
            Defaults to None.
        available_modalities (Sequence[str], optional): Modalities kept; None keeps all.
            Defaults to None.
    """

    def __init__(self,
                 modalities,
                 size=None,
                 size_divisor=None,
                 pad_val=0,
                 seg_pad_val=255,
                 batch_augments=None,
                 test_cfg=None,
                 available_modalities=None):
        # The parent pads and stacks; normalisation is done here, per modality.
        super().__init__(
            mean=None, std=None, size=size, size_divisor=size_divisor, pad_val=pad_val,
            seg_pad_val=seg_pad_val, batch_augments=batch_augments, test_cfg=test_cfg)
        self._init_modalities(modalities)
        self.available_modalities = available_modalities

    def forward(self, data, training=False):
        """Normalise and mask per modality, then pad and stack as mmseg does.

        Args:
            data (dict): ``inputs`` (list of ``[C, H, W]`` tensors) and ``data_samples``.
            training (bool): Training mode (padding to ``size``). Defaults to False.

        Returns:
            dict: ``inputs`` ``[B, C, H, W]`` and ``data_samples``.
        """
        return super().forward(self.normalize_inputs(data), training)
