"""EarthMiss configs: builds, and train + availability-pattern test through the tools."""
import json
import os.path as osp
import re

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS

from helpers import REPO_ROOT

from mars.testing.synthetic import TINY_EARTHMISS_CITIES

CONFIG_DIR = osp.join(REPO_ROOT, 'configs', 'landcover', 'earthmiss')
DEMO = osp.join(CONFIG_DIR, 'mars-tiny_upernet_1xb8-500it_earthmiss-demo-128x128.py')


@pytest.mark.parametrize('variant, fusion', [('base', 'sum'), ('large', 'sum'),
                                             ('base-concat', 'concat'),
                                             ('base-attention', 'attention')])
def test_earthmiss_configs_build_with_their_fusion(variant, fusion):
    cfg = Config.fromfile(
        osp.join(CONFIG_DIR, f'mars-{variant}_upernet_8xb2-40k_earthmiss-512x512.py'))
    size = variant.split('-')[0]
    assert cfg.model.backbone.modalities.sar.init_cfg.checkpoint == \
        f'checkpoints/mars_{size}_sar_encoder_only.pth'
    assert cfg.test_cfg.type == 'ModalityAvailabilityTestLoop'
    init_default_scope('mmseg')
    # Build without the released weights (not on the test machine).
    for modality in ('rgb', 'sar'):
        cfg.model.backbone.modalities[modality].init_cfg = None
    model = MODELS.build(cfg.model)
    assert model.backbone.fusion == fusion
    assert model.decode_head.in_channels == model.backbone.out_channels
    assert model.decode_head.num_classes == 8


def test_earthmiss_fixture_trains_and_tests_every_availability_pattern(
        earthmiss_root, tmp_path, run_tool):
    options = []
    for loader, split in (('train', 'train'), ('val', 'val'), ('test', 'test')):
        cities = ','.join(TINY_EARTHMISS_CITIES[split])
        options += [f'{loader}_dataloader.dataset.data_root={earthmiss_root}',
                    f'{loader}_dataloader.dataset.cities=[{cities}]',
                    f'{loader}_dataloader.num_workers=0',
                    f'{loader}_dataloader.persistent_workers=False']
    options += ['randomness.seed=0', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
                'train_dataloader.batch_size=2']
    work_dir = tmp_path / 'work'
    run_tool('train.py', DEMO, '--work-dir', str(work_dir), '--cfg-options', *options)
    assert (work_dir / 'iter_2.pth').exists()

    log = run_tool('test.py', DEMO, str(work_dir / 'iter_2.pth'), '--work-dir',
                   str(tmp_path / 'test'), '--show-dir', 'vis', '--cfg-options', *options)
    assert 'metrics per modality-availability pattern' in log
    for pattern in ('rgb+sar', 'rgb', 'sar'):
        assert re.search(rf'\|\s+{re.escape(pattern)}\s+\|', log), pattern
    [json_path] = (tmp_path / 'test').rglob('availability_metrics.json')
    metrics = json.loads(json_path.read_text())
    assert list(metrics) == ['rgb+sar', 'rgb', 'sar']
    for values in metrics.values():
        assert {'mIoU', 'aAcc', 'mF1', 'IoU.Building', 'IoU.Water'} <= set(values)
    # One drawing per test tile and pattern, over RGB or (SAR only) over SAR.
    drawings = [p.name for p in (tmp_path / 'test' / 'vis').rglob('*.png')]
    num_tiles = 2 * len(TINY_EARTHMISS_CITIES['test'])
    for pattern in ('rgb+sar', 'rgb', 'sar'):
        assert len([d for d in drawings if d.startswith(f'test_{pattern}_')]) == num_tiles
