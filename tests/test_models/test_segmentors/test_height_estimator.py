import functools

import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mars.models.backbones.mars_backbone import arch_channels

BACKBONE = dict(type='MaRSMultiModalBackbone', arch='tiny', drop_path_rate=0.)
HEAD = dict(type='HeightLightHead', in_channels=arch_channels('tiny'), in_index=[0, 1, 2, 3],
            channels=8, num_convs=1, target_scale=0.1, output_activation='softplus')


def add_height(sample, size):
    gt = torch.rand(1, *size) * 40
    gt[:, :4] = float('nan')
    sample.gt_depth_map = PixelData(data=gt)


@pytest.fixture
def build_estimator(build_model):
    return functools.partial(build_model, 'MultiModalHeightEstimator', backbone=BACKBONE,
                             decode_head=HEAD)


@pytest.fixture
def batch(make_batch):
    return functools.partial(make_batch, add_label=add_height)


def test_loss_with_modality_masks_and_nan_labels(build_estimator, batch, spy_masks):
    estimator = build_estimator()
    seen = spy_masks(estimator)
    data = estimator.data_preprocessor(batch([(True, True), (True, False)]), training=True)
    losses = estimator(**data, mode='loss')
    loss = losses['decode.loss_height_l1']
    assert torch.isfinite(loss)
    loss.backward()
    assert seen[0].tolist() == [[True, True], [True, False]]
    grads = [p.grad for p in estimator.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize('test_cfg', [
    dict(mode='whole'), dict(mode='slide', crop_size=(32, 32), stride=(24, 24))])
def test_predict_writes_metres_at_ori_shape_after_padding(build_estimator, batch,
                                                          test_cfg):
    estimator = build_estimator(test_cfg=test_cfg).eval()
    # 50 x 70 is padded to 64 x 96 by size_divisor=32.
    data = estimator.data_preprocessor(batch([(True, True), (True, False)], size=(50, 70)))
    assert data['inputs'].shape[2:] == (64, 96)
    torch.nn.init.zeros_(estimator.decode_head.conv_seg.weight)
    torch.nn.init.constant_(estimator.decode_head.conv_seg.bias, 1.)
    with torch.no_grad():
        results = estimator(**data, mode='predict')
    expected = torch.nn.functional.softplus(torch.tensor(1.)) / 0.1
    for result in results:
        pred = result.pred_depth_map.data
        assert pred.shape == (1, 50, 70) and pred.dtype == torch.float32
        assert torch.allclose(pred, expected.expand_as(pred), atol=1e-4)


def test_predict_crops_padding_before_resizing_and_undoes_flip(build_estimator):
    estimator = build_estimator().eval()
    heights = torch.arange(64 * 96, dtype=torch.float32).view(1, 1, 64, 96)
    sample = SegDataSample(metainfo=dict(ori_shape=(50, 70), padding_size=(0, 26, 0, 14),
                                         flip=True, flip_direction='horizontal'))
    (result, ) = estimator.postprocess_result(heights, [sample])
    assert torch.equal(result.pred_depth_map.data, heights[0, :, :50, :70].flip(-1))


def test_tensor_mode_plain_backbone_and_head_check(build_estimator, batch):
    estimator = build_estimator(
        backbone=dict(type='MaRSBackbone', arch='tiny', drop_path_rate=0.),
        decode_head=dict({k: v for k, v in HEAD.items() if k != 'num_convs'}, type='HeightUPerHead',
                         pool_scales=(1, 2)),
        test_cfg=dict(mode='slide', crop_size=(32, 32), stride=(32, 32))).eval()
    data = estimator.data_preprocessor(batch([None], channels=3))
    with torch.no_grad():
        raw = estimator(**data, mode='tensor')
        (result, ) = estimator(**data, mode='predict')
        (bare, ) = estimator.predict(data['inputs'])
    assert raw.shape == (1, 1, 16, 16)
    assert result.pred_depth_map.data.shape == (1, 64, 64)
    assert torch.allclose(bare.pred_depth_map.data, result.pred_depth_map.data)
    with pytest.raises(ValueError, match='one-channel decode_head'):
        build_estimator(decode_head=dict(type='UPerHead', in_channels=arch_channels('tiny'),
                                         in_index=[0, 1, 2, 3], channels=8, pool_scales=(1, ),
                                         num_classes=3))


def test_silog_option_trains(build_estimator, batch):
    estimator = build_estimator(decode_head=dict(HEAD, loss_decode=dict(type='SiLogLoss')))
    data = estimator.data_preprocessor(batch([(True, False)]), training=True)
    loss = estimator(**data, mode='loss')['decode.loss_silog']
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(estimator.decode_head.conv_seg.weight.grad).all()
