"""DeepGlobe configs: arch table, model builds, and train/test through the tools."""
import os.path as osp
import re

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from helpers import REPO_ROOT

from mars.models.backbones.mars_backbone import MARS_ARCHS

CONFIG_DIR = osp.join(REPO_ROOT, 'configs', 'road', 'deepglobe')
DEMO = osp.join(CONFIG_DIR, 'mars-tiny_upernet_1xb8-300it_deepglobe-demo-128x128.py')


def test_config_arch_table_matches_the_backbone():
    table = Config.fromfile(osp.join(REPO_ROOT, 'configs/_base_/models/mars_archs.py')).mars_archs
    assert set(table) == set(MARS_ARCHS)
    for arch, entry in table.items():
        assert tuple(entry['channels']) == MARS_ARCHS[arch]['channels']
        assert entry['stride16'] == MARS_ARCHS[arch]['channels'][2]
        assert entry['stride32'] == MARS_ARCHS[arch]['channels'][3]


@pytest.mark.parametrize('size, channels', [('base', 1024), ('large', 1536)])
def test_base_and_large_configs_build_with_matching_head_channels(size, channels):
    cfg = Config.fromfile(
        osp.join(CONFIG_DIR, f'mars-{size}_upernet_8xb2-80k_deepglobe-512x512.py'))
    assert cfg.model.backbone.init_cfg.checkpoint == \
        f'checkpoints/mars_{size}_rgb_encoder_only.pth'
    assert cfg.model.test_cfg.mode == 'slide'
    assert cfg.optim_wrapper.constructor == 'MaRSLayerDecayOptimizerConstructor'
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    assert model.backbone.out_channels[-1] == channels
    assert model.decode_head.in_channels == model.backbone.out_channels
    assert model.auxiliary_head.in_channels == model.backbone.out_channels[2]


def test_deepglobe_fixture_trains_and_tests_through_the_tools(deepglobe_root, tmp_path,
                                                              run_tool):
    work_dir = tmp_path / 'work'
    data = [f'{loader}.dataset.data_root={deepglobe_root}'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    small = ['randomness.seed=0', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
             'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
             'train_dataloader.persistent_workers=False', 'val_dataloader.num_workers=0',
             'val_dataloader.persistent_workers=False', 'test_dataloader.num_workers=0',
             'test_dataloader.persistent_workers=False']
    log = run_tool('train.py', DEMO, '--work-dir', str(work_dir), '--cfg-options',
                   *data, *small)
    assert (work_dir / 'iter_2.pth').exists()
    assert re.search(r'IoU\.road: \d+\.\d+', log)

    test_dir = tmp_path / 'test'
    log = run_tool('test.py', DEMO, str(work_dir / 'iter_2.pth'), '--work-dir',
                   str(test_dir), '--out', str(tmp_path / 'preds'), '--show-dir', 'vis',
                   '--cfg-options', *data, *small)
    # After two iterations the model may predict no road: precision is then undefined (nan).
    for key in ('IoU.road', 'Precision.road', 'Recall.road', 'F1.road', 'mIoU', 'aAcc'):
        assert re.search(rf'{re.escape(key)}: (\d+\.\d+|nan)', log), key
    assert sorted(p.name for p in (tmp_path / 'preds').iterdir()) == [
        '900000_sat.png', '900001_sat.png']
    drawings = list(test_dir.rglob('vis/**/*.png'))
    assert len(drawings) == 2
