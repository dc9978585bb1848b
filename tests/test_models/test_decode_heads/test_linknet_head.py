"""LinkNet heads and the paper-protocol losses: shapes, and the combined losses of the
paper-protocol configs against hand-computed values."""
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from helpers import REPO_ROOT

import mars.models  # noqa: F401

CONFIGS = dict(
    road='configs/road/deepglobe/mars-base_paper-protocol_linknet_1xb6-80e_deepglobe-512x512.py',
    change='configs/change/whu_cd/mars-base_paper-protocol_linknet_1xb8-100e_whu-cd-256x256.py',
    height='configs/height/ubc/mars-base_paper-protocol_linknet_1xb6-80e_ubc-height-512x512.py')
LN3 = math.log(3.)


def paper_head(task):
    """The decode head of a MaRS-B paper-protocol config."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, CONFIGS[task]))
    init_default_scope('mmseg')
    torch.manual_seed(0)
    return MODELS.build(cfg.model.decode_head)


def seg_samples(labels):
    return [SegDataSample(gt_sem_seg=PixelData(data=torch.as_tensor(label)[None]))
            for label in labels]


@pytest.mark.parametrize('task, out_channels', [('road', 2), ('change', 1), ('height', 1)])
def test_paper_heads_return_the_input_resolution_from_stride_32(task, out_channels):
    head = paper_head(task)
    features = torch.randn(2, head.in_channels, 2, 3)
    out = head([features])
    assert out.shape == (2, out_channels, 64, 96)


def test_change_loss_is_half_bce_plus_half_batch_dice():
    head = paper_head('change')
    # sigmoid(0) = 0.5, sigmoid(ln 3) = 0.75, sigmoid(-ln 3) = 0.25.
    logits = torch.tensor([[[[0., LN3], [-LN3, 0.]]]])
    label = torch.tensor([[1, 1], [0, 0]])
    losses = head.loss_by_feat(logits, seg_samples([label]))
    # BCE: mean(ln 2, ln 4/3, ln 4/3, ln 2) = ln(8/3) / 2.
    assert losses['loss_ce'].item() == pytest.approx(0.5 * math.log(8 / 3) / 2, rel=1e-5)
    # Dice: 2 * (0.5 + 0.75) / (2.0 + 2) = 0.625.
    assert losses['loss_dice'].item() == pytest.approx(0.5 * (1 - 0.625), rel=1e-5)

    # A second image without change: Dice pools the batch (2 * 1.25 / (4.0 + 2)), not a
    # mean of per-image Dice.
    logits2 = torch.cat([logits, torch.zeros(1, 1, 2, 2)])
    losses = head.loss_by_feat(logits2, seg_samples([label, torch.zeros(2, 2).long()]))
    assert losses['loss_dice'].item() == pytest.approx(0.5 * (1 - 2.5 / 6), rel=1e-5)
    bce = (2 * math.log(2) + 2 * math.log(4 / 3) + 4 * math.log(2)) / 8
    assert losses['loss_ce'].item() == pytest.approx(0.5 * bce, rel=1e-5)


def test_road_loss_is_half_ce_plus_half_batch_dice_and_ignores_255():
    head = paper_head('road')
    # Pixel A: softmax(0, ln 3) = (0.25, 0.75); pixel B: (0.75, 0.25); pixel C ignored.
    logits = torch.tensor([[[[0., LN3, 5.]], [[LN3, 0., -5.]]]])
    label = torch.tensor([[1, 1, 255]])
    losses = head.loss_by_feat(logits, seg_samples([label]))
    # CE over the two labelled pixels: (ln 4/3 + ln 4) / 2.
    assert losses['loss_ce'].item() == pytest.approx(0.5 * math.log(16 / 3) / 2, rel=1e-5)
    # Class 0 has no true pixel: 0. Class 1: 1 - 2 * 1.0 / (1.0 + 2) = 1/3. Mean: 1/6.
    assert losses['loss_dice'].item() == pytest.approx(0.5 / 6, rel=1e-5)


def test_height_loss_is_l1_on_height_over_183_and_predictions_are_metres():
    head = paper_head('height')
    assert head.target_scale == pytest.approx(1 / 183.17412)
    raw = torch.tensor([[[[0.1, 0.05], [1.0, 7.0]]]])
    height = torch.tensor([[[0., 10.], [183.17412, float('nan')]]])
    sample = SegDataSample(metainfo=dict(img_shape=(2, 2)),
                           gt_depth_map=PixelData(data=height))
    losses = head.loss_by_feat(raw, [sample])
    # NaN (no label) is left out: mean of |0.1 - 0|, |0.05 - 10 / 183.17412|, |1 - 1|.
    expected = (0.1 + abs(0.05 - 10 / 183.17412) + 0.) / 3
    assert losses['loss_height_l1'].item() == pytest.approx(expected, rel=1e-5)
    metres = head.predict_by_feat(raw, [dict(img_shape=(2, 2))])
    assert metres.flatten().tolist() == pytest.approx(
        [18.317412, 9.158706, 183.17412, 7 * 183.17412], rel=1e-5)


def test_batch_dice_loss_refuses_weights_and_out_of_range_labels():
    init_default_scope('mmseg')
    loss = MODELS.build(dict(type='BatchDiceLoss'))
    logits = torch.zeros(1, 2, 2, 2)
    with pytest.raises(ValueError, match='weights'):
        loss(logits, torch.zeros(1, 2, 2).long(), weight=torch.ones(1, 2, 2))
    with pytest.raises(ValueError, match='label 3 out of range for 2'):
        loss(logits, torch.full((1, 2, 2), 3))
    with pytest.raises(ValueError, match=r'\[B, H, W\]'):
        loss(logits, torch.zeros(1, 1, 2, 2).long())


def test_linknet_head_checks_its_arguments():
    init_default_scope('mmseg')
    base = dict(type='LinkNetHead', in_channels=64, in_index=0, channels=16, num_classes=2,
                norm_cfg=dict(type='BN'))
    with pytest.raises(TypeError, match='in_channels must be an int'):
        MODELS.build(dict(base, in_channels=[32, 64], in_index=[0, 1],
                          input_transform='multiple_select', decoder_channels=[32]))
    with pytest.raises(ValueError, match=r'decoder_channels\[-1\] \(32\) must equal channels'):
        MODELS.build(dict(base, decoder_channels=[32], final_upsample=False))
    with pytest.raises(ValueError, match='norm_cfg'):
        MODELS.build(dict(base, decoder_channels=[32], norm_cfg=None))
    with pytest.raises(ValueError, match='in_channels divisible by 4'):
        MODELS.build(dict(base, decoder_channels=[30, 16]))
