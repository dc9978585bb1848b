"""MaRS multi-modal backbone: one SwinV2 encoder per modality, fused per stage."""
import torch
from mmengine.model import BaseModule, ModuleDict, ModuleList

from mars.registry import register_downstream
from mars.utils.modalities import split_stacked
from .encoder_choice import build_encoder
from .modality_fusion import FUSION_TYPES, SumFusion, build_fusion

# MaRSBackbone arguments a modality entry may set for its own encoder; the others are
# shared so that every stage has one channel count and one resolution to fuse.
PER_MODALITY_KEYS = ('in_channels', 'init_cfg', 'pretrained', 'frozen_stages',
                     'drop_path_rate', 'with_cp')


@register_downstream('MODELS')
class MaRSMultiModalBackbone(BaseModule):
    """MaRS RGB + SAR backbone: one :class:`MaRSBackbone` per modality, fused per stage.

    The input stacks the modalities on the channel axis in the order of ``modalities``
    (RGB channels 0-2, then SAR). Each encoder is built with ``modality=<name>``, so a raw
    pretraining checkpoint gives every encoder its own weights.

    With a ``modality_mask`` (BoolTensor ``[B, M]``, False = missing) fusion uses only the
    present modalities of each sample: for ``sum``, ``mean`` and ``attention`` a sample
    without SAR gets exactly the features of the RGB branch fused alone; ``concat``
    zero-fills the missing features. An encoder whose modality is missing in the whole
    batch is not run at all.

    Modality dropout (training only) draws, per sample and modality, whether to mask a
    present modality. When a draw would leave a sample with no modality, one of the
    modalities it had is kept, chosen uniformly at random; so the effective drop rate of a
    modality is slightly below its configured probability.

    Note:
        Skipped encoders and dropped modalities leave parameters without gradients in
        some iterations; distributed training needs
        ``model_wrapper_cfg=dict(type='MMDistributedDataParallel',
        find_unused_parameters=True)``.

    Args:
        modalities (dict[str, dict]): Ordered ``name -> encoder settings``; settings may
            contain ``in_channels`` (required), ``init_cfg`` / ``pretrained``,
            ``frozen_stages``, ``drop_path_rate``, ``with_cp`` (the last three override the
            shared values). Defaults to RGB (3 channels) then SAR (1 channel).
        arch (str): MaRS arch shared by the encoders. Defaults to 'base'.
        out_indices (Sequence[int]): Stages returned. Defaults to (0, 1, 2, 3).
        frozen_stages (int): Stages frozen in every encoder; see :class:`MaRSBackbone`.
            Defaults to -1.
        drop_path_rate (float): Stochastic depth rate. Defaults to 0.1.
        with_cp (bool): Gradient checkpointing of the Swin blocks. Defaults to False.
        fusion (str): ``'sum'`` (the MaRS authors' downstream choice), ``'mean'``,
            ``'concat'`` (concatenation + 1x1 conv) or ``'attention'`` (MMA-style).
            Defaults to 'sum'.
        attention_stages (Sequence[int], optional): With ``fusion='attention'``, the stages
            (values of ``out_indices``) fused by attention; the others are summed. None
            means the deepest returned stage. Defaults to None.
        attention_cfg (dict, optional): ``num_heads``, ``mlp_ratio``, ``num_rounds`` of the
            attention fusion. Defaults to None (8 heads, ratio 4, 2 rounds).
        modality_dropout (dict[str, float], optional): Drop probability per modality name
            (training only). Defaults to None.
        encoder (dict, optional): None for MaRS encoders, or a comparison backbone, e.g.
            ``dict(type='BaselineBackbone', arch='swinv2-b')``, built once per modality
            with the modality's ``in_channels`` / ``init_cfg`` (``arch``, ``out_indices``
            and ``frozen_stages`` then do not apply). Defaults to None.
        pretrained (str, optional): A checkpoint every encoder without its own
            ``init_cfg`` loads (a raw pretraining checkpoint holds both encoders).
            Defaults to None.
        init_cfg (dict, optional): mmengine init config of the module itself. Encoders load
            their weights through their own ``init_cfg``. Defaults to None.

    Attributes:
        modalities (tuple[str]): Modality names in channel order.
        modality_channels (tuple[int]): Input channels of each modality.
        out_channels (list[int]): Channels of each returned feature map.
        accepts_modality_mask (bool): Tells segmentors to pass ``modality_mask``.
    """

    accepts_modality_mask = True

    def __init__(self,
                 modalities=dict(rgb=dict(in_channels=3), sar=dict(in_channels=1)),
                 arch='base',
                 out_indices=(0, 1, 2, 3),
                 frozen_stages=-1,
                 drop_path_rate=0.1,
                 with_cp=False,
                 fusion='sum',
                 attention_stages=None,
                 attention_cfg=None,
                 modality_dropout=None,
                 encoder=None,
                 pretrained=None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if not modalities:
            raise ValueError('MaRSMultiModalBackbone needs at least one modality')
        if fusion not in FUSION_TYPES:
            raise ValueError(f'unknown fusion {fusion!r}; expected one of {FUSION_TYPES}')
        self.modalities = tuple(modalities)
        self.out_indices = tuple(out_indices)
        self.fusion = fusion
        shared = dict(arch=arch, out_indices=out_indices, frozen_stages=frozen_stages,
                      drop_path_rate=drop_path_rate, with_cp=with_cp)
        # mmengine's ModuleDict, unlike torch's, passes init_weights on to the encoders.
        self.encoders = ModuleDict({
            name: self._build_encoder(name, settings, shared, pretrained, encoder)
            for name, settings in modalities.items()})
        self.out_channels = list(self.encoders[self.modalities[0]].out_channels)
        self.modality_channels = tuple(
            self.encoders[name].in_channels for name in self.modalities)
        self.fusions = self._build_fusions(attention_stages, attention_cfg)
        self.modality_dropout = self._check_dropout(modality_dropout)

    def _build_encoder(self, name, settings, shared, pretrained, encoder):
        settings = dict(settings)
        unknown = set(settings) - set(PER_MODALITY_KEYS)
        if unknown:
            raise KeyError(f'modalities.{name}: unsupported keys {sorted(unknown)}; '
                           f'expected some of {PER_MODALITY_KEYS}')
        if 'in_channels' not in settings:
            raise KeyError(f'modalities.{name}: in_channels is required')
        if pretrained is not None and 'init_cfg' not in settings \
                and 'pretrained' not in settings:
            settings['pretrained'] = pretrained
        return build_encoder(encoder, shared, settings, f'modalities.{name}',
                             mars_only=dict(modality=name))

    def _build_fusions(self, attention_stages, attention_cfg):
        if attention_stages is None:
            attention_stages = self.out_indices[-1:]
        missing = set(attention_stages) - set(self.out_indices)
        if self.fusion == 'attention' and missing:
            raise ValueError(f'attention_stages {sorted(missing)} are not in out_indices '
                             f'{self.out_indices}')
        fusions = []
        for stage, channels in zip(self.out_indices, self.out_channels):
            if self.fusion == 'attention' and stage not in attention_stages:
                fusions.append(SumFusion())
            else:
                fusions.append(
                    build_fusion(self.fusion, channels, self.modalities, attention_cfg))
        return ModuleList(fusions)

    def _check_dropout(self, modality_dropout):
        modality_dropout = dict(modality_dropout or {})
        for name, prob in modality_dropout.items():
            if name not in self.modalities:
                raise KeyError(f'modality_dropout.{name}: unknown modality; expected one '
                               f'of {self.modalities}')
            if not 0 <= prob <= 1:
                raise ValueError(f'modality_dropout.{name} must be in [0, 1], got {prob}')
        return modality_dropout

    def split_inputs(self, x):
        """Split the stacked input into one tensor per modality (channel order).

        Raises:
            ValueError: the input's channels differ from the modalities' total.
        """
        return split_stacked(x, self.modalities, self.modality_channels, type(self).__name__)

    def check_mask(self, modality_mask, batch_size, device):
        """Validate ``modality_mask`` (None = all present) and return it as bool [B, M]."""
        shape = (batch_size, len(self.modalities))
        if modality_mask is None:
            return torch.ones(shape, dtype=torch.bool, device=device)
        modality_mask = torch.as_tensor(modality_mask, device=device).bool()
        if tuple(modality_mask.shape) != shape:
            raise ValueError(f'modality_mask must have shape [B, M] = {list(shape)} for '
                             f'modalities {self.modalities}, got {list(modality_mask.shape)}')
        return modality_mask

    def drop_modalities(self, modality_mask):
        """Modality dropout: mask present modalities at random, keeping one per sample."""
        probs = torch.tensor([self.modality_dropout.get(n, 0.) for n in self.modalities],
                             device=modality_mask.device)
        dropped = torch.rand(modality_mask.shape, device=modality_mask.device) < probs
        kept = modality_mask & ~dropped
        emptied = ~kept.any(dim=1) & modality_mask.any(dim=1)
        if emptied.any():
            # Keep one of the modalities the sample had, uniformly at random.
            choice = torch.multinomial(modality_mask[emptied].float(), 1)
            kept[emptied] = kept[emptied].scatter(1, choice, True)
        return kept

    def forward(self, x, modality_mask=None):
        """Fused multi-scale features.

        Args:
            x (Tensor): ``[B, sum(modality_channels), H, W]``.
            modality_mask (Tensor, optional): BoolTensor ``[B, M]``, False = the modality
                is missing in that sample. None means all present.

        Returns:
            tuple[Tensor]: One NCHW map per ``out_indices``.
        """
        inputs = self.split_inputs(x)
        mask = self.check_mask(modality_mask, x.shape[0], x.device)
        if self.training and self.modality_dropout:
            mask = self.drop_modalities(mask)
        empty = (~mask.any(dim=1)).nonzero().flatten().tolist()
        if empty:
            raise ValueError(f'samples {empty} of the batch have no modality present '
                             f'(modality_mask all False); nothing to fuse')
        present = mask.any(dim=0).tolist()
        features = [self.encoders[name](x_m) if used else None
                    for name, x_m, used in zip(self.modalities, inputs, present)]
        outs = []
        for stage, fusion in enumerate(self.fusions):
            stage_features = [None if f is None else f[stage] for f in features]
            outs.append(fusion(stage_features, mask))
        return tuple(outs)
