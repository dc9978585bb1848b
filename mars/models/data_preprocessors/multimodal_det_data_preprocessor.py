"""Detection data preprocessor for stacked multi-modal inputs (R, G, B, SAR)."""
from mmdet.models.data_preprocessors import DetDataPreprocessor

from mars.registry import register_downstream
from .per_modality import PerModalityNormalization


@register_downstream('MODELS', seg=False)
class MultiModalDetDataPreProcessor(PerModalityNormalization, DetDataPreprocessor):
    """Per-modality normalisation and modality masks, then mmdet's padding and batching.

    mmdet's :class:`DetDataPreprocessor` accepts only 1 or 3 mean / std values; here each
    modality has its own (``modalities``), applied exactly as
    :class:`MultiModalSegDataPreProcessor` does (:class:`PerModalityNormalization`):
    missing modalities (metainfo ``modality_mask``) are zero after normalisation, every
    data sample leaves with ``modalities`` / ``modality_channels`` / ``modality_mask``,
    ``available_modalities`` forces an availability pattern and ``norm_spec()`` goes into
    checkpoint meta. Padding (``pad_size_divisor``, masks), box types and batch
    augmentations are mmdet's.

    Args:
        modalities (dict[str, dict]): Ordered ``name -> dict(mean=[...], std=[...])``.
        pad_size_divisor (int): Pad to a multiple of it. Defaults to 32 (MaRS encoders).
        pad_value (float): Padding value of the normalised inputs. Defaults to 0.
        available_modalities (Sequence[str], optional): Modalities kept; None keeps all.
            Defaults to None.
        **kwargs: Other :class:`DetDataPreprocessor` arguments (``pad_mask``,
            ``mask_pad_value``, ``boxtype2tensor``, ``batch_augments``...); ``mean``,
            ``std`` and colour conversions are not accepted.
    """

    def __init__(self, modalities, pad_size_divisor=32, pad_value=0,
                 available_modalities=None, **kwargs):
        refused = sorted({'mean', 'std', 'bgr_to_rgb', 'rgb_to_bgr'} & set(kwargs))
        if refused:
            raise ValueError(f'{refused}: MultiModalDetDataPreProcessor normalises per '
                             f'modality (modalities=...) and never reorders channels')
        super().__init__(pad_size_divisor=pad_size_divisor, pad_value=pad_value, **kwargs)
        self._init_modalities(modalities)
        self.available_modalities = available_modalities

    def forward(self, data, training=False):
        """Normalise and mask per modality, then pad and batch as mmdet does.

        Args:
            data (dict): ``inputs`` (list of ``[C, H, W]`` tensors) and ``data_samples``.
            training (bool): Training mode (batch augmentations, mask padding).
                Defaults to False.

        Returns:
            dict: ``inputs`` ``[B, C, H, W]`` and ``data_samples``.
        """
        return super().forward(self.normalize_inputs(data), training)
