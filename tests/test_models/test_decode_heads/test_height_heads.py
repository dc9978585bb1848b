import math

import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import mars.models  # noqa: F401
from mars.models.backbones.mars_backbone import arch_channels

SIZE = 32
HEADS = [
    dict(type='HeightLightHead', channels=8, num_convs=1),
    dict(type='HeightUPerHead', channels=8, pool_scales=(1, 2)),
]


def build_head(cfg, **kwargs):
    init_default_scope('mmseg')
    torch.manual_seed(0)
    return MODELS.build(dict(cfg, in_channels=arch_channels('tiny'), in_index=[0, 1, 2, 3],
                             dropout_ratio=0., **kwargs))


def features(batch=2):
    torch.manual_seed(1)
    return [torch.randn(batch, c, SIZE // s, SIZE // s, requires_grad=True)
            for c, s in zip(arch_channels('tiny'), (4, 8, 16, 32))]


def samples(labels, padding_size=None):
    out = []
    for label in labels:
        meta = dict(img_shape=(SIZE, SIZE), pad_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE))
        if padding_size is not None:
            meta['padding_size'] = padding_size
        out.append(SegDataSample(metainfo=meta, gt_depth_map=PixelData(data=label)))
    return out


def labels(batch=2, nan_fraction=0.3):
    torch.manual_seed(2)
    gt = torch.rand(batch, 1, SIZE, SIZE) * 30
    gt[torch.rand_like(gt) < nan_fraction] = float('nan')
    return list(gt)


def constant_output(head, value):
    """Set the last conv so the head outputs ``value`` everywhere."""
    torch.nn.init.zeros_(head.conv_seg.weight)
    torch.nn.init.constant_(head.conv_seg.bias, value)


@pytest.mark.parametrize('cfg', HEADS)
def test_heads_output_one_channel_at_input_size(cfg):
    head = build_head(cfg).eval()
    feats = features()
    assert head(feats).shape == (2, 1, SIZE // 4, SIZE // 4)
    metas = [dict(img_shape=(SIZE, SIZE), pad_shape=(SIZE, SIZE))] * 2
    assert head.predict(feats, metas, None).shape == (2, 1, SIZE, SIZE)


@pytest.mark.parametrize('loss', [dict(type='HeightL1Loss'), dict(type='SiLogLoss'),
                                  dict(type='HeightSiLogLoss')])
@pytest.mark.parametrize('cfg', HEADS)
def test_loss_and_gradients_are_finite_with_nan_labels(cfg, loss):
    head = build_head(cfg, loss_decode=loss, output_activation='softplus')
    feats = features()
    losses = head.loss(feats, samples(labels()), None)
    (value, ) = losses.values()
    assert torch.isfinite(value) and value > 0
    value.backward()
    assert all(torch.isfinite(p.grad).all() for p in head.parameters() if p.grad is not None)
    assert all(torch.isfinite(f.grad).all() for f in feats)
    assert head.conv_seg.weight.grad.abs().sum() > 0


def test_l1_equals_mean_over_valid_pixels_and_masked_pixels_do_not_count():
    head = build_head(HEADS[0], max_height=25.)
    constant_output(head, 3.)
    gt = labels()
    value = head.loss(features(), samples(gt), None)['loss_height_l1']
    stacked = torch.stack(gt)
    valid = torch.isfinite(stacked) & (stacked <= 25.)
    assert math.isclose(value.item(), (stacked[valid] - 3.).abs().mean().item(), rel_tol=1e-5)

    # Changing the labels of invalid pixels changes nothing: NaN ones become +inf / -inf
    # (still non-finite), those above max_height become NaN.
    nodata, too_high = torch.isnan(stacked), stacked > 25.
    assert nodata.any() and too_high.any()
    changed = [g.clone() for g in gt]
    for g in changed:
        nan, high = torch.isnan(g), g > 25.
        g[nan] = float('inf')
        g[nan & (torch.arange(g.numel()).reshape(g.shape) % 2 == 0)] = float('-inf')
        g[high] = float('nan')
    assert not torch.isnan(torch.stack(changed)[nodata]).any()
    assert torch.isnan(torch.stack(changed)[too_high]).all()
    assert head.loss(features(), samples(changed), None)['loss_height_l1'] == value


def test_padding_added_by_the_preprocessor_is_ignored():
    head = build_head(HEADS[0])
    constant_output(head, 0.)
    gt = [torch.ones(1, SIZE, SIZE) for _ in range(2)]
    for g in gt:
        g[:, :, SIZE - 8:] = 255.  # mmseg pads gt_depth_map with 255
    value = head.loss(features(), samples(gt, padding_size=(0, 8, 0, 0)), None)
    assert value['loss_height_l1'].item() == pytest.approx(1.)


@pytest.mark.parametrize('cfg', HEADS)
def test_target_scale_predictions_are_in_metres(cfg):
    head = build_head(cfg, target_scale=0.1).eval()
    constant_output(head, 2.)
    metas = [dict(img_shape=(SIZE, SIZE), pad_shape=(SIZE, SIZE))] * 2
    pred = head.predict(features(), metas, None)
    assert torch.allclose(pred, torch.full_like(pred, 20.))

    # The loss compares network units with scaled labels: label 20 m == output 2.
    gt = [torch.full((1, SIZE, SIZE), 20.) for _ in range(2)]
    assert head.loss(features(), samples(gt), None)['loss_height_l1'].item() < 1e-5


def test_output_activation_makes_heights_non_negative():
    head = build_head(HEADS[0], output_activation='relu').eval()
    constant_output(head, -5.)
    assert (head(features()) == 0).all()
    with pytest.raises(ValueError, match='output_activation'):
        build_head(HEADS[0], output_activation='tanh')
    with pytest.raises(ValueError, match="'num_classes'"):
        build_head(HEADS[1], num_classes=3)


def test_missing_label_names_the_key():
    head = build_head(HEADS[0])
    with pytest.raises(KeyError, match='gt_depth_map'):
        head.loss(features(1), [SegDataSample()], None)
