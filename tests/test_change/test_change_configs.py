"""WHU-CD and BRIGHT configs: they build, and train + test through the tools on fixtures."""
import glob
import os.path as osp
import re

import cv2
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from helpers import REPO_ROOT

CONFIG_DIR = osp.join(REPO_ROOT, 'configs', 'change')
WHU_BASE = 'whu_cd/mars-base_siamese-upernet_8xb4-40k_whu-cd-256x256.py'
BRIGHT_BASE = 'bright/mars-base_siamese-upernet_8xb2-40k_bright-512x512.py'


@pytest.mark.parametrize('config, dates, shared', [
    (WHU_BASE, dict(t1=3, t2=3), True), (BRIGHT_BASE, dict(pre=3, post=1), False)])
def test_base_configs_build(config, dates, shared):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, config))
    for settings in cfg.model.backbone.dates.values():
        settings.init_cfg = None  # no released weights here
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'SiameseEncoderDecoder'
    assert dict(zip(model.dates, model.backbone.date_channels)) == dates
    assert model.backbone.shared_encoder is shared
    assert model.decode_head.in_channels == model.backbone.out_channels


@pytest.mark.parametrize('config, checkpoints', [
    ('whu_cd/mars-large_siamese-upernet_8xb4-40k_whu-cd-256x256.py',
     dict(t1='mars_large_rgb', t2='mars_large_rgb')),
    ('bright/mars-large_siamese-upernet_8xb2-40k_bright-512x512.py',
     dict(pre='mars_large_rgb', post='mars_large_sar')),
    ('bright/mars-base_siamese-upernet_8xb2-40k_bright-640x640.py',
     dict(pre='mars_base_rgb', post='mars_base_sar')),
])
def test_variant_configs(config, checkpoints):
    """Large variants swap arch, weights and head widths; the 640 variant crops and
    slides 640x640 windows (not built: SwinV2-L is slow on CPU)."""
    cfg = Config.fromfile(osp.join(CONFIG_DIR, config))
    for date, name in checkpoints.items():
        assert cfg.model.backbone.dates[date].init_cfg.checkpoint == \
            f'checkpoints/{name}_encoder_only.pth'
    arch = cfg.model.backbone.arch
    assert cfg.model.decode_head.in_channels == cfg.mars_archs[arch].channels
    assert cfg.model.auxiliary_head.in_channels == cfg.mars_archs[arch].stride16
    if '640' in config:
        crop = [t for t in cfg.train_dataloader.dataset.pipeline if t.type == 'RandomCrop']
        assert crop[0].crop_size == cfg.model.test_cfg.crop_size == (640, 640)
        assert cfg.model.data_preprocessor.size == (640, 640)


def _metric(log, key, mode='test'):
    return re.search(rf'Iter\({mode}\).* {re.escape(key)}: (\S+)', log).group(1)


def test_whu_cd_trains_and_tests_through_the_tools(whu_cd_root, tmp_path, run_tool,
                                                   tiny_change_configs, data_options):
    config, data = tiny_change_configs['whu_cd'], data_options(whu_cd_root['root'])
    work_dir = tmp_path / 'work'
    log = run_tool('train.py', config, '--work-dir', work_dir, '--cfg-options', *data)
    assert (work_dir / 'iter_2.pth').exists()
    assert re.search(r'F1\.change: \d+\.\d+', log)
    log = run_tool('test.py', config, work_dir / 'iter_2.pth', '--work-dir',
                   tmp_path / 'test', '--show-dir', 'vis', '--out', tmp_path / 'preds',
                   '--cfg-options', *data)
    for key in ('Precision.change', 'Recall.change', 'F1.change', 'IoU.change', 'aAcc',
                'kappa'):
        assert re.fullmatch(r'-?\d+\.\d+', _metric(log, key)), key
    # --out: one class-index PNG per test pair, named after its first-date file.
    written = sorted(osp.basename(p) for p in glob.glob(str(tmp_path / 'preds' / '*.png')))
    assert written == whu_cd_root['names']['test']
    pred = cv2.imread(str(tmp_path / 'preds' / written[0]), cv2.IMREAD_UNCHANGED)
    assert pred.shape == (64, 64) and set(pred.ravel()) <= {0, 1}
    # --show-dir: t1 | t2 | truth | prediction, one drawing per test pair.
    drawings = sorted(glob.glob(str(tmp_path / 'test' / 'vis' / '**' / '*.png'),
                                recursive=True))
    assert len(drawings) == len(written)
    assert osp.basename(drawings[0]).startswith('test_change_whucd_')
    assert cv2.imread(drawings[0]).shape == (64, 4 * 64, 3)


def test_bright_trains_and_two_process_test_matches_single_process(
        bright_root, tmp_path, run_tool, run_script, free_port, tiny_change_configs,
        data_options):
    config, data = tiny_change_configs['bright'], data_options(bright_root['root'])
    work_dir = tmp_path / 'work'
    # The validation after the last iteration evaluates the weights saved in iter_2.pth on
    # the test split (test_dataloader = val_dataloader): the single-process reference.
    log = run_tool('train.py', config, '--work-dir', work_dir, '--cfg-options', *data)
    events = ('bata-explosion', 'noto-earthquake')
    keys = ['mIoU', 'OA', 'loc_F1', 'damage_F1', 'IoU.destroyed', 'F1_damage.intact'] + [
        f'{key}.{event}' for key in ('mIoU', 'OA', 'loc_F1', 'damage_F1') for event in events]
    single = {key: _metric(log, key, 'val') for key in keys}

    # Two processes (gloo on CPU) each evaluate half the pairs; the matrices are pooled.
    dist_log = run_script('dist_test.sh', config, work_dir / 'iter_2.pth', 2, '--work-dir',
                          tmp_path / 'dist', '--show-dir', 'vis', '--cfg-options', *data,
                          env=dict(PORT=str(free_port)))
    assert {key: _metric(dist_log, key) for key in keys} == single
    # --show-dir: pre RGB | post SAR (dB) | truth | prediction (rank 0 saves its pairs).
    drawings = sorted(glob.glob(str(tmp_path / 'dist' / 'vis' / '**' / '*.png'),
                                recursive=True))
    assert drawings and all(osp.basename(d).startswith('test_change_') for d in drawings)
    assert cv2.imread(drawings[0]).shape == (96, 4 * 96, 3)
