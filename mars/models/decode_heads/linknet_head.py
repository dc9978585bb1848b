"""LinkNet-style decoder heads on one (deepest) feature map, as in the MaRS authors'
downstream models for roads, change detection and building height."""
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmseg.models.decode_heads.decode_head import BaseDecodeHead

from mars.registry import register_downstream
from .height_heads import HeightRegressionMixin


class LinkNetUpBlock(nn.Module):
    """LinkNet decoder block: 1x1 conv to ``in/4``, 3x3 transposed conv (stride 2, output
    twice the size), 1x1 conv to ``out_channels``; each followed by a norm and ReLU.

    Args:
        in_channels (int): Input channels (divisible by 4).
        out_channels (int): Output channels.
        norm_cfg (dict): Norm layer config.
    """

    def __init__(self, in_channels, out_channels, norm_cfg):
        super().__init__()
        if in_channels % 4:
            raise ValueError(f'LinkNetUpBlock needs in_channels divisible by 4, got '
                             f'{in_channels}')
        mid = in_channels // 4
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, mid, 1), build_norm_layer(norm_cfg, mid)[1],
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(mid, mid, 3, stride=2, padding=1, output_padding=1),
            build_norm_layer(norm_cfg, mid)[1], nn.ReLU(inplace=True),
            nn.Conv2d(mid, out_channels, 1), build_norm_layer(norm_cfg, out_channels)[1],
            nn.ReLU(inplace=True))

    def forward(self, x):
        return self.layers(x)


@register_downstream('MODELS', det=False)
class LinkNetHead(BaseDecodeHead):
    """LinkNet-style decoder without skip connections on one feature map.

    ``x -> [fuse block] -> up blocks -> [final upsample -> 3x3 convs] -> 1x1 conv_seg``:

    - ``fuse_channels`` (optional): two 3x3 conv + norm + ReLU layers from
      ``in_channels`` to ``fuse_channels`` (the authors' change block on the concatenated
      deepest features of both dates).
    - ``decoder_channels``: one :class:`LinkNetUpBlock` (x2 upsampling) per entry, with
      that many output channels.
    - ``final_upsample``: a 3x3 transposed conv (x2) to ``channels`` and ReLU, without
      norm; then ``num_final_convs`` 3x3 conv + ReLU layers at ``channels``. Without it
      the last decoder block must output ``channels`` and no final conv is allowed.
    - ``conv_seg`` (mmseg's 1x1 conv to ``out_channels``).

    On a stride-32 map, 4 blocks + the final upsample, or 5 blocks, return the input
    resolution. The layers use bias everywhere (as the authors' plain PyTorch layers do).

    Args:
        decoder_channels (Sequence[int]): Output channels of the up blocks.
        fuse_channels (int, optional): Channels of the fuse block; None for none.
            Defaults to None.
        final_upsample (bool): Add the final transposed conv. Defaults to True.
        num_final_convs (int): 3x3 convs after the final upsample. Defaults to 0.
        **kwargs: Arguments of :class:`mmseg.models.decode_heads.BaseDecodeHead`, with
            one ``in_channels`` (int) and one ``in_index``; ``norm_cfg`` is required.
    """

    def __init__(self, decoder_channels, fuse_channels=None, final_upsample=True,
                 num_final_convs=0, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(self.in_channels, int):
            raise TypeError(f'LinkNetHead reads one feature map: in_channels must be an '
                            f'int, got {self.in_channels!r}')
        if self.norm_cfg is None:
            raise ValueError('LinkNetHead needs norm_cfg (e.g. dict(type="BN"))')
        if not decoder_channels:
            raise ValueError('LinkNetHead needs at least one decoder_channels entry')
        if not final_upsample and (num_final_convs or decoder_channels[-1] != self.channels):
            raise ValueError(
                f'without final_upsample the last decoder block feeds conv_seg: '
                f'decoder_channels[-1] ({decoder_channels[-1]}) must equal channels '
                f'({self.channels}) and num_final_convs must be 0 (got {num_final_convs})')
        layers = []
        current = self.in_channels
        if fuse_channels is not None:
            for in_ch in (current, fuse_channels):
                layers += [nn.Conv2d(in_ch, fuse_channels, 3, padding=1),
                           build_norm_layer(self.norm_cfg, fuse_channels)[1],
                           nn.ReLU(inplace=True)]
            current = fuse_channels
        for out_ch in decoder_channels:
            layers.append(LinkNetUpBlock(current, out_ch, self.norm_cfg))
            current = out_ch
        if final_upsample:
            layers += [nn.ConvTranspose2d(current, self.channels, 3, stride=2, padding=1,
                                          output_padding=1), nn.ReLU(inplace=True)]
            for _ in range(num_final_convs):
                layers += [nn.Conv2d(self.channels, self.channels, 3, padding=1),
                           nn.ReLU(inplace=True)]
        self.decoder = nn.Sequential(*layers)

    def forward(self, inputs):
        """Logits ``[B, out_channels, h, w]`` from the ``in_index`` map."""
        return self.cls_seg(self.decoder(self._transform_inputs(inputs)))


@register_downstream('MODELS', det=False)
class HeightLinkNetHead(HeightRegressionMixin, LinkNetHead):
    """:class:`LinkNetHead` regressing building height (one channel, metres).

    Args:
        target_scale (float): The network regresses ``height * target_scale``;
            predictions are divided back to metres (see :class:`HeightUPerHead`).
            Defaults to 1.0.
        output_activation (str, optional): ``'relu'``, ``'softplus'`` or None.
            Defaults to None.
        max_height (float, optional): Labels above it (metres) are ignored.
            Defaults to None.
        loss_decode (dict | list[dict]): Loss config(s). Defaults to
            ``dict(type='HeightL1Loss')``.
        **kwargs: Arguments of :class:`LinkNetHead` except ``num_classes``,
            ``out_channels`` and ``threshold``.
    """

    def __init__(self, target_scale=1.0, output_activation=None, max_height=None,
                 loss_decode=dict(type='HeightL1Loss'), **kwargs):
        super().__init__(loss_decode=loss_decode, **self._regression_head_kwargs(kwargs))
        self._init_regression(target_scale, output_activation, max_height)
