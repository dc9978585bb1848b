"""Encoder-decoder segmentor for change detection with a Siamese (bi-temporal) backbone."""
from mmseg.models.segmentors import EncoderDecoder

from mars.registry import register_downstream


@register_downstream('MODELS', det=False)
class SiameseEncoderDecoder(EncoderDecoder):
    """:class:`EncoderDecoder` whose backbone encodes two dates and fuses them per stage.

    The model input stacks the dates on the channel axis, first date first; a bi-temporal
    backbone (:class:`MaRSSiameseBackbone`) splits, encodes and fuses them, and the decode
    head segments change (or damage) from the fused pyramid. Training, whole and
    sliding-window inference (``test_cfg=dict(mode='slide', ...)``: both dates are cropped
    together, as one stack) are mmseg's own.

    At construction the layout is checked once: the backbone's ``dates`` and channels
    must equal the data preprocessor's per-date normalisation (its ``modalities``), so a
    config whose dates are swapped or mis-sized fails before training, not after.

    Takes the arguments of :class:`mmseg.models.EncoderDecoder`.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        dates = getattr(self.backbone, 'dates', None)
        if dates is None:
            raise TypeError(f'SiameseEncoderDecoder needs a bi-temporal backbone with '
                            f'`dates` (e.g. MaRSSiameseBackbone), got '
                            f'{type(self.backbone).__name__}')
        norm_dates = getattr(self.data_preprocessor, 'modalities', None)
        if norm_dates is None:
            return
        backbone_layout = dict(zip(dates, self.backbone.date_channels))
        norm_layout = dict(zip(norm_dates, self.data_preprocessor.modality_channels))
        if list(backbone_layout.items()) != list(norm_layout.items()):
            raise ValueError(
                f'the backbone dates {backbone_layout} (name: channels, in order) differ '
                f'from the data preprocessor modalities {norm_layout}')

    @property
    def dates(self):
        """tuple[str]: The date names, first date first."""
        return self.backbone.dates
