"""WHU-CD paper-protocol configs: the authors' settings, builds, and 2 training iterations
plus a test through the tools on the fixture."""
import glob
import os.path as osp
import re

import cv2
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from helpers import REPO_ROOT

CONFIG = osp.join(REPO_ROOT, 'configs', 'change', 'whu_cd',
                  'mars-{}_paper-protocol_linknet_1xb8-100e_whu-cd-256x256.py')
TINY = osp.join(osp.dirname(osp.abspath(__file__)), 'configs',
                'mars-tiny_paper-protocol_linknet_1xb1-1e_whu-cd-64x64.py')


@pytest.mark.parametrize('size, channels', [('base', 1024), ('large', 1536)])
def test_whu_cd_paper_protocol_settings(size, channels):
    cfg = Config.fromfile(CONFIG.format(size))
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-4)
    assert cfg.train_cfg.type == 'EpochBasedTrainLoop' and cfg.train_cfg.max_epochs == 100
    [step] = cfg.param_scheduler
    assert (step.type, step.step_size, step.gamma, step.by_epoch) == ('StepLR', 25, 0.5, True)
    assert cfg.train_dataloader.batch_size == 8
    assert cfg.train_dataloader.sampler.type == 'DefaultSampler'
    for date in ('t1', 't2'):
        norm = cfg.model.data_preprocessor.modalities[date]
        assert norm.mean == [127.5] * 3 and norm.std == [127.5] * 3
    head = cfg.model.decode_head
    assert (head.out_channels, head.threshold, head.fuse_channels) == (1, 0.5, 256)
    assert [(loss.type, loss.loss_weight) for loss in head.loss_decode] == [
        ('CrossEntropyLoss', 0.5), ('BatchDiceLoss', 0.5)]
    assert head.loss_decode[0].use_sigmoid
    [rot] = [t for t in cfg.train_pipeline if t.type == 'RandomRot90']
    assert rot.prob == 0.375
    backbone = cfg.model.backbone
    assert (backbone.fusion, backbone.out_indices) == ('stack', (3, ))
    for encoder in backbone.dates.values():
        assert encoder.init_cfg.checkpoint == f'checkpoints/mars_{size}_rgb_encoder_only.pth'
        encoder.init_cfg = None
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    assert model.backbone.out_channels == [2 * channels] == [model.decode_head.in_channels]
    assert model.backbone.shared_encoder


def test_whu_cd_paper_protocol_trains_two_iterations_and_tests(whu_cd_root, tmp_path,
                                                               run_tool, data_options):
    data = data_options(whu_cd_root['root'])
    work_dir = tmp_path / 'work'
    log = run_tool('train.py', TINY, '--work-dir', work_dir, '--cfg-options', *data)
    # 2 fixture pairs, 1 per batch: one epoch of 2 iterations.
    assert re.search(r'Epoch\(train\) \[1\]\[2/2\].*decode\.loss_ce: \d+\.\d+ '
                     r'+decode\.loss_dice: \d+\.\d+', log)
    assert (work_dir / 'epoch_1.pth').exists()
    log = run_tool('test.py', TINY, work_dir / 'epoch_1.pth', '--work-dir',
                   tmp_path / 'test', '--out', tmp_path / 'preds', '--cfg-options', *data)
    assert re.search(r'Epoch\(test\).* IoU\.change: \d+\.\d+', log)
    # One sigmoid output, thresholded at 0.5: 0/1 PNGs named after the A files.
    written = sorted(osp.basename(p) for p in glob.glob(str(tmp_path / 'preds' / '*.png')))
    assert written == whu_cd_root['names']['test']
    pred = cv2.imread(str(tmp_path / 'preds' / written[0]), cv2.IMREAD_UNCHANGED)
    assert pred.shape == (64, 64) and set(pred.ravel()) <= {0, 1}
