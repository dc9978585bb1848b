"""Paper-protocol configs of UBC height and DeepGlobe roads: the authors' settings, builds,
and 2 training iterations (plus a test) through the tools on the fixtures."""
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from helpers import FIXTURE_CONFIGS, REPO_ROOT

HEIGHT = osp.join(REPO_ROOT, 'configs', 'height', 'ubc',
                  'mars-{}_paper-protocol_linknet_1xb6-80e_ubc-height-512x512.py')
ROAD = osp.join(REPO_ROOT, 'configs', 'road', 'deepglobe',
                'mars-{}_paper-protocol_linknet_1xb6-80e_deepglobe-512x512.py')
HEIGHT_TINY = osp.join(FIXTURE_CONFIGS,
                       'mars-tiny_paper-protocol_linknet_1xb3-1e_ubc-height-64x64.py')
ROAD_TINY = osp.join(FIXTURE_CONFIGS,
                     'mars-tiny_paper-protocol_linknet_1xb2-1e_deepglobe-64x64.py')


def _build(cfg):
    backbone = cfg.model.backbone
    for encoder in backbone.get('modalities', {}).values():
        encoder.init_cfg = None  # no released weights here
    if 'modalities' not in backbone:
        backbone.init_cfg = None
    init_default_scope('mmseg')
    return MODELS.build(cfg.model)


def _assert_authors_schedule(cfg, epochs):
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-4)
    assert 'constructor' not in cfg.optim_wrapper
    assert cfg.train_cfg.type == 'EpochBasedTrainLoop' and cfg.train_cfg.max_epochs == epochs
    [step] = cfg.param_scheduler
    assert (step.type, step.step_size, step.gamma, step.by_epoch) == (
        'StepLR', epochs // 4, 0.5, True)
    assert cfg.train_dataloader.sampler.type == 'DefaultSampler'


@pytest.mark.parametrize('size, channels, decoder', [
    ('base', 1024, [512, 256, 128, 64]), ('large', 1536, [768, 384, 192, 64])])
def test_height_paper_protocol_settings(size, channels, decoder):
    cfg = Config.fromfile(HEIGHT.format(size))
    _assert_authors_schedule(cfg, 80)
    assert cfg.train_dataloader.batch_size == 6
    assert cfg.train_dataloader.dataset.holdout == dict(fraction=0.2, seed=42, part='train')
    assert cfg.val_dataloader.dataset.holdout == dict(fraction=0.2, seed=42, part='val')
    norm = cfg.model.data_preprocessor.modalities
    assert norm.rgb.mean == pytest.approx([0.3182 * 255, 0.3442 * 255, 0.2818 * 255])
    assert norm.rgb.std == pytest.approx([0.1796 * 255, 0.1645 * 255, 0.1689 * 255])
    assert (norm.sar.mean, norm.sar.std) == ([0.2634], [0.5957])
    assert cfg.model.backbone.fusion == 'sum' and cfg.model.backbone.out_indices == (3, )
    assert not cfg.model.backbone.get('modality_dropout')
    assert cfg.model.backbone.modalities.sar.init_cfg.checkpoint == \
        f'checkpoints/mars_{size}_sar_encoder_only.pth'
    model = _build(cfg)
    assert model.backbone.out_channels == [channels] == [model.decode_head.in_channels]
    assert cfg.model.decode_head.decoder_channels == decoder
    assert model.decode_head.target_scale == pytest.approx(1 / 183.17412)


def test_height_as_run_normalisation_switch(tmp_path):
    child = tmp_path / 'as_run.py'
    child.write_text(
        f"_base_ = [{HEIGHT.format('base')!r}]\n"
        "model = dict(data_preprocessor=dict(\n"
        "    modalities={{_base_.paper_normalisation.as_run}}))\n")
    model = _build(Config.fromfile(str(child)))
    rgb_sar = torch.tensor([255., 0., 128., 10.]).view(1, 4, 1, 1)
    out = model.data_preprocessor.normalize(rgb_sar[0], (True, True))
    # albumentations' Normalize on RGB / 255: (x / 255 - m * 255) / (s * 255); SAR:
    # (x - m * 255) / (s * 255).
    expected = [(1. - 0.3182 * 255) / (0.1796 * 255), (0. - 0.3442 * 255) / (0.1645 * 255),
                (128 / 255 - 0.2818 * 255) / (0.1689 * 255),
                (10. - 0.2634 * 255) / (0.5957 * 255)]
    assert out.flatten().tolist() == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize('size, channels, decoder', [
    ('base', 1024, [512, 256, 128, 128]), ('large', 1536, [768, 384, 192, 192])])
def test_road_paper_protocol_settings(size, channels, decoder):
    cfg = Config.fromfile(ROAD.format(size))
    _assert_authors_schedule(cfg, 80)
    assert cfg.train_dataloader.batch_size == 6
    assert cfg.model.data_preprocessor.mean == [127.5] * 3
    assert cfg.model.data_preprocessor.std == [127.5] * 3
    assert cfg.model.test_cfg == dict(mode='slide', crop_size=(512, 512), stride=(512, 512))
    mask = [t for t in cfg.train_pipeline if t.type == 'LoadDeepGlobeRoadMask']
    assert mask[0].threshold == 1
    [rotate] = [t for t in cfg.train_pipeline if t.type == 'RandomRotateBorder']
    assert (rotate.degree, rotate.border_mode) == (90, 'reflect_101')
    assert [loss.type for loss in cfg.model.decode_head.loss_decode] == [
        'CrossEntropyLoss', 'BatchDiceLoss']
    assert [loss.loss_weight for loss in cfg.model.decode_head.loss_decode] == [0.5, 0.5]
    model = _build(cfg)
    assert model.backbone.out_channels == [channels] == [model.decode_head.in_channels]
    assert cfg.model.decode_head.decoder_channels == decoder
    assert not model.with_auxiliary_head


def _data(root):
    return [f'{loader}_dataloader.dataset.data_root={root}'
            for loader in ('train', 'val', 'test')]


def test_height_paper_protocol_trains_two_iterations_and_tests_in_metres(
        ubc_height_root, tmp_path, run_tool):
    work_dir = tmp_path / 'work'
    log = run_tool('train.py', HEIGHT_TINY, '--work-dir', str(work_dir), '--cfg-options',
                   *_data(ubc_height_root))
    # 6 fixture tiles -> 5 training tiles in batches of 3: one epoch of 2 iterations.
    assert re.search(r'Epoch\(train\) \[1\]\[2/2\].*decode\.loss_height_l1: \d+\.\d+', log)
    assert (work_dir / 'epoch_1.pth').exists()
    assert len((work_dir / 'train_ids.txt').read_text().split()) == 5
    log = run_tool('test.py', HEIGHT_TINY, str(work_dir / 'epoch_1.pth'), '--work-dir',
                   str(tmp_path / 'test'), '--cfg-options', *_data(ubc_height_root))
    for key in ('MAE', 'RMSE', 'building_MAE', 'delta1'):
        assert re.search(rf'Epoch\(test\).* {key}: \d+\.\d+', log), key


def test_road_paper_protocol_trains_two_iterations_and_tests_whole_tiles(
        deepglobe_root, tmp_path, run_tool):
    work_dir = tmp_path / 'work'
    log = run_tool('train.py', ROAD_TINY, '--work-dir', str(work_dir), '--cfg-options',
                   *_data(deepglobe_root))
    assert re.search(r'Epoch\(train\) \[1\]\[2/2\].*decode\.loss_ce: \d+\.\d+ '
                     r'+decode\.loss_dice: \d+\.\d+', log)
    assert (work_dir / 'epoch_1.pth').exists()
    log = run_tool('test.py', ROAD_TINY, str(work_dir / 'epoch_1.pth'), '--work-dir',
                   str(tmp_path / 'test'), '--out', str(tmp_path / 'preds'),
                   '--cfg-options', *_data(deepglobe_root))
    assert re.search(r'Epoch\(test\).* IoU\.road: (\d+\.\d+|nan)', log)
    assert sorted(p.name for p in (tmp_path / 'preds').iterdir()) == [
        '900000_sat.png', '900001_sat.png']
