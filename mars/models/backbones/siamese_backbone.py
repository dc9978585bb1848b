"""MaRS Siamese backbone for change detection: encode both dates, fuse them per stage."""
import torch
from mmengine.model import BaseModule, ModuleDict, ModuleList

from mars.registry import register_downstream
from mars.utils.modalities import split_stacked
from .encoder_choice import build_encoder
from .temporal_fusion import TEMPORAL_FUSION_TYPES, build_temporal_fusion, fused_channels

# MaRSBackbone arguments a date may set for its own encoder; the others are shared so that
# both dates give maps of the same channels and resolution at every stage.
PER_DATE_KEYS = ('in_channels', 'modality', 'init_cfg', 'pretrained', 'frozen_stages',
                 'drop_path_rate', 'with_cp')


@register_downstream('MODELS', det=False)
class MaRSSiameseBackbone(BaseModule):
    """Two dates through MaRS encoder(s), fused per stage into one multi-scale pyramid.

    The input stacks the dates on the channel axis, first date first (``dates`` order, as
    :class:`~mars.datasets.transforms.LoadBitemporalImages` writes it). Each date goes
    through a :class:`MaRSBackbone`:

    - ``shared_encoder=True`` (same-modality pairs, WHU-CD): one encoder with one set of
      weights encodes both dates (in one batch of ``2B`` images); the dates' settings
      must then be identical.
    - ``shared_encoder=False`` (BRIGHT): one encoder per date, e.g. the RGB encoder with
      RGB weights for the optical pre-event image and the SAR encoder with SAR weights for
      the post-event SAR (``modality`` picks the encoder of a raw pretraining
      checkpoint).

    Every stage is then fused (``concat`` + 1x1 conv, ``diff`` = ``f2 - f1``, ``abs_diff``
    = ``|f1 - f2|``; see :mod:`.temporal_fusion`) into a map with the arch's channels, so
    ``out_channels`` equals a single encoder's and an mmseg ``UPerHead`` configured for the
    arch reads it unchanged. ``stack`` (the plain concatenation, the MaRS authors' change
    model) doubles ``out_channels``.

    Args:
        dates (dict[str, dict]): Ordered ``date name -> encoder settings`` (two dates);
            settings may contain ``in_channels`` (required), ``modality``, ``init_cfg`` /
            ``pretrained``, ``frozen_stages``, ``drop_path_rate``, ``with_cp``.
            Defaults to two RGB dates ``t1``, ``t2``.
        shared_encoder (bool): One encoder for both dates. Defaults to True.
        arch (str): MaRS arch. Defaults to 'base'.
        out_indices (Sequence[int]): Stages returned. Defaults to (0, 1, 2, 3).
        frozen_stages (int): Stages frozen; see :class:`MaRSBackbone`. Defaults to -1.
        drop_path_rate (float): Stochastic depth rate. Defaults to 0.1.
        with_cp (bool): Gradient checkpointing of the Swin blocks. Defaults to False.
        fusion (str): ``'concat'``, ``'diff'``, ``'abs_diff'`` or ``'stack'``.
            Defaults to 'abs_diff'.
        encoder (dict, optional): None for MaRS encoders, or a comparison backbone, e.g.
            ``dict(type='BaselineBackbone', arch='resnet50')``, with each date's
            ``in_channels`` / ``init_cfg`` (``arch``, ``out_indices``, ``frozen_stages``
            and ``modality`` then do not apply). Defaults to None.
        init_cfg (dict, optional): mmengine init config of the module itself; encoders
            load their weights through their own ``init_cfg``. Defaults to None.

    Attributes:
        dates (tuple[str]): Date names in channel order.
        date_channels (tuple[int]): Input channels of each date.
        out_channels (list[int]): Channels of each returned feature map.
    """

    def __init__(self,
                 dates=dict(t1=dict(in_channels=3), t2=dict(in_channels=3)),
                 shared_encoder=True,
                 arch='base',
                 out_indices=(0, 1, 2, 3),
                 frozen_stages=-1,
                 drop_path_rate=0.1,
                 with_cp=False,
                 fusion='abs_diff',
                 encoder=None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if len(dates) != 2:
            raise ValueError(
                f'MaRSSiameseBackbone needs exactly two dates, got {list(dates)}')
        if fusion not in TEMPORAL_FUSION_TYPES:
            raise ValueError(f'unknown fusion {fusion!r}; expected one of '
                             f'{TEMPORAL_FUSION_TYPES}')
        self.dates = tuple(dates)
        self.shared_encoder = shared_encoder
        self.fusion = fusion
        settings = {name: self._check_settings(name, cfg) for name, cfg in dates.items()}
        common = dict(arch=arch, out_indices=out_indices, frozen_stages=frozen_stages,
                      drop_path_rate=drop_path_rate, with_cp=with_cp)
        if shared_encoder:
            first, second = (settings[name] for name in self.dates)
            if first != second:
                raise ValueError(
                    f'shared_encoder=True needs identical settings for both dates, got '
                    f'{self.dates[0]}={first} and {self.dates[1]}={second}; use '
                    f'shared_encoder=False for one encoder per date')
            self.encoder = build_encoder(encoder, common, first, f'dates.{self.dates[0]}')
        else:
            # mmengine's ModuleDict passes init_weights on to the encoders.
            self.encoders = ModuleDict({
                name: build_encoder(encoder, common, settings[name], f'dates.{name}')
                for name in self.dates})
        encoder_channels = (self.encoder if shared_encoder else
                            self.encoders[self.dates[0]]).out_channels
        self.out_channels = [fused_channels(fusion, c) for c in encoder_channels]
        self.date_channels = tuple(settings[name]['in_channels'] for name in self.dates)
        self.fusions = ModuleList(
            [build_temporal_fusion(fusion, channels) for channels in encoder_channels])

    @staticmethod
    def _check_settings(name, settings):
        settings = dict(settings)
        unknown = set(settings) - set(PER_DATE_KEYS)
        if unknown:
            raise KeyError(f'dates.{name}: unsupported keys {sorted(unknown)}; expected '
                           f'some of {PER_DATE_KEYS}')
        if 'in_channels' not in settings:
            raise KeyError(f'dates.{name}: in_channels is required')
        return settings

    def split_inputs(self, x):
        """Split the stacked input into the two dates (channel order).

        Raises:
            ValueError: The input's channels differ from the dates' total.
        """
        return split_stacked(x, self.dates, self.date_channels, type(self).__name__)

    def encode(self, x):
        """Per-date feature pyramids: ``(features of date 1, features of date 2)``."""
        first, second = self.split_inputs(x)
        if self.shared_encoder:
            # One pass over both dates: same weights, twice the batch.
            features = self.encoder(torch.cat([first, second], dim=0))
            return (tuple(f[:x.shape[0]] for f in features),
                    tuple(f[x.shape[0]:] for f in features))
        return tuple(self.encoders[name](part)
                     for name, part in zip(self.dates, (first, second)))

    def forward(self, x):
        """Fused multi-scale features.

        Args:
            x (Tensor): ``[B, sum(date_channels), H, W]``, first date first.

        Returns:
            tuple[Tensor]: One NCHW map per ``out_indices``, channels ``out_channels``.
        """
        first, second = self.encode(x)
        return tuple(fuse(a, b) for fuse, a, b in zip(self.fusions, first, second))
