"""Building height regression heads (one output channel, metres)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from mmseg.models.decode_heads.uper_head import UPerHead
from mmseg.models.utils import resize

from mars.registry import register_downstream

OUTPUT_ACTIVATIONS = {None: None, 'relu': F.relu, 'softplus': F.softplus}


class HeightRegressionMixin:
    """Regression logic shared by the height heads: output activation, loss, prediction.

    Put it before the mmseg head class in the bases. The head regresses
    ``height * target_scale``; :meth:`predict_by_feat` divides by ``target_scale`` so that
    predictions are always in metres. Labels come from ``gt_depth_map`` (``[1, H, W]``,
    metres, NaN = no label).

    A label pixel is valid when it is finite, not in the padding added by the data
    preprocessor (``padding_size`` metainfo: mmseg pads ``gt_depth_map`` with 255) and,
    with ``max_height``, not above it. Invalid pixels are removed before any arithmetic.

    Losses with ``accepts_valid_mask = True`` (:class:`HeightL1Loss`,
    :class:`HeightSiLogLoss`) get ``valid_mask``; other losses (mmseg's ``SiLogLoss``) get
    the target with invalid pixels set to 0, which ``SiLogLoss`` ignores (with ground
    pixels, whose height is 0, as well).
    """

    def _init_regression(self, target_scale=1.0, output_activation=None, max_height=None):
        """Check and store the regression settings (called by the heads' ``__init__``)."""
        if target_scale <= 0:
            raise ValueError(f'target_scale must be > 0, got {target_scale}')
        if output_activation not in OUTPUT_ACTIVATIONS:
            raise ValueError(f'output_activation must be one of '
                             f'{list(OUTPUT_ACTIVATIONS)}, got {output_activation!r}')
        self.target_scale = float(target_scale)
        self.output_activation = output_activation
        self.max_height = max_height

    @staticmethod
    def _regression_head_kwargs(kwargs):
        """mmseg head arguments for a one-channel regression output."""
        for key in ('num_classes', 'out_channels', 'threshold'):
            if key in kwargs:
                raise ValueError(f'height heads regress one channel: do not set {key!r}')
        # threshold only silences mmseg's binary-segmentation warning; it is never used.
        return dict(kwargs, num_classes=1, out_channels=1, threshold=0.)

    def cls_seg(self, feat):
        """1x1 conv to one channel, then the output activation (non-negative heights)."""
        out = super().cls_seg(feat)
        activation = OUTPUT_ACTIVATIONS[self.output_activation]
        return out if activation is None else activation(out)

    def _stack_batch_gt(self, batch_data_samples):
        """Height labels ``[B, 1, H, W]`` in metres from ``gt_depth_map``."""
        for index, sample in enumerate(batch_data_samples):
            if 'gt_depth_map' not in sample:
                raise KeyError(f'sample {index} has no gt_depth_map (height label)')
        return torch.stack([s.gt_depth_map.data for s in batch_data_samples]).float()

    def valid_mask(self, gt_height, batch_data_samples):
        """BoolTensor ``[B, 1, H, W]`` of the label pixels that enter the loss."""
        valid = torch.isfinite(gt_height)
        if self.max_height is not None:
            # NaN compares False, so this never validates a NaN pixel.
            valid &= gt_height <= self.max_height
        height, width = gt_height.shape[-2:]
        for index, sample in enumerate(batch_data_samples):
            left, right, top, bottom = sample.metainfo.get('padding_size', (0, 0, 0, 0))
            pad = torch.ones_like(valid[index], dtype=torch.bool)
            pad[:, top:height - bottom, left:width - right] = False
            valid[index] &= ~pad
        return valid

    def loss_by_feat(self, height_logits, batch_data_samples):
        """Regression losses of ``height_logits`` (network units) against ``gt_depth_map``.

        Args:
            height_logits (Tensor): Head output ``[B, 1, h, w]``.
            batch_data_samples (list[SegDataSample]): Samples with ``gt_depth_map``.

        Returns:
            dict[str, Tensor]: Loss items by ``loss_name``.
        """
        gt_height = self._stack_batch_gt(batch_data_samples)
        pred = resize(height_logits, size=gt_height.shape[2:], mode='bilinear',
                      align_corners=self.align_corners)
        valid = self.valid_mask(gt_height, batch_data_samples)
        # NaN / padded labels are replaced before scaling so no NaN enters the graph.
        target = torch.where(valid, gt_height, torch.zeros_like(gt_height)) * self.target_scale
        losses_decode = (self.loss_decode if isinstance(self.loss_decode, nn.ModuleList)
                         else [self.loss_decode])
        losses = dict()
        for loss_decode in losses_decode:
            if getattr(loss_decode, 'accepts_valid_mask', False):
                value = loss_decode(pred, target, valid_mask=valid)
            else:
                value = loss_decode(pred, target)
            name = loss_decode.loss_name
            losses[name] = losses[name] + value if name in losses else value
        return losses

    def predict_by_feat(self, height_logits, batch_img_metas):
        """Heights in metres ``[B, 1, H, W]`` at the (padded or crop) input size."""
        return super().predict_by_feat(height_logits, batch_img_metas) / self.target_scale


@register_downstream('MODELS', det=False)
class HeightUPerHead(HeightRegressionMixin, UPerHead):
    """UPerNet head regressing building height (one channel, metres).

    Args:
        target_scale (float): The network regresses ``height * target_scale``;
            predictions are divided back to metres. Defaults to 1.0.
        output_activation (str, optional): ``'relu'``, ``'softplus'`` or None.
            Defaults to None.
        max_height (float, optional): Labels above it (metres) are ignored.
            Defaults to None.
        loss_decode (dict | list[dict]): Loss config(s). Defaults to
            ``dict(type='HeightL1Loss')``.
        **kwargs: Arguments of :class:`mmseg.models.decode_heads.UPerHead` except
            ``num_classes``, ``out_channels`` and ``threshold``.
    """

    def __init__(self, target_scale=1.0, output_activation=None, max_height=None,
                 loss_decode=dict(type='HeightL1Loss'), **kwargs):
        super().__init__(loss_decode=loss_decode, **self._regression_head_kwargs(kwargs))
        self._init_regression(target_scale, output_activation, max_height)


@register_downstream('MODELS', det=False)
class HeightLightHead(HeightRegressionMixin, BaseDecodeHead):
    """Light FPN-like height head: top-down fusion of the stages to the finest one.

    Each input stage is projected to ``channels`` by a 1x1 conv; from the coarsest stage
    down, the upsampled map is added to the next lateral. ``num_convs`` 3x3 convs refine
    the finest (stride 4 for MaRS) map, then a 1x1 conv gives the height. The output is
    at the finest stage's resolution; loss and prediction upsample it.

    Args:
        num_convs (int): 3x3 convs after the fusion. Defaults to 2.
        target_scale (float): See :class:`HeightUPerHead`. Defaults to 1.0.
        output_activation (str, optional): See :class:`HeightUPerHead`. Defaults to None.
        max_height (float, optional): See :class:`HeightUPerHead`. Defaults to None.
        loss_decode (dict | list[dict]): Loss config(s). Defaults to
            ``dict(type='HeightL1Loss')``.
        **kwargs: Arguments of :class:`BaseDecodeHead` (``in_channels`` a list, one per
            stage, ``in_index`` the matching list) except ``num_classes``,
            ``out_channels`` and ``threshold``.
    """

    def __init__(self, num_convs=2, target_scale=1.0, output_activation=None,
                 max_height=None, loss_decode=dict(type='HeightL1Loss'), **kwargs):
        super().__init__(input_transform='multiple_select', loss_decode=loss_decode,
                         **self._regression_head_kwargs(kwargs))
        self._init_regression(target_scale, output_activation, max_height)
        conv_kwargs = dict(conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg,
                           act_cfg=self.act_cfg)
        self.lateral_convs = nn.ModuleList(
            ConvModule(c, self.channels, 1, **conv_kwargs) for c in self.in_channels)
        self.fuse_convs = nn.Sequential(*[
            ConvModule(self.channels, self.channels, 3, padding=1, **conv_kwargs)
            for _ in range(num_convs)])

    def forward(self, inputs):
        """Height map ``[B, 1, h, w]`` (network units) at the finest stage's size."""
        inputs = self._transform_inputs(inputs)
        fused = self.lateral_convs[-1](inputs[-1])
        for index in range(len(inputs) - 2, -1, -1):
            lateral = self.lateral_convs[index](inputs[index])
            fused = lateral + resize(fused, size=lateral.shape[2:], mode='bilinear',
                                     align_corners=self.align_corners)
        return self.cls_seg(self.fuse_convs(fused))
