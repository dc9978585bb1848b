"""UBC height configs: builds, and train + test through the tools on the fixture."""
import os.path as osp
import re

import pytest
import tifffile
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from helpers import REPO_ROOT

CONFIG_DIR = osp.join(REPO_ROOT, 'configs', 'height', 'ubc')
TINY = osp.join(REPO_ROOT, 'tests', 'fixtures', 'configs',
                'mars-tiny_uperhead_1xb2-2it_ubc-height-64x64.py')


@pytest.mark.parametrize('variant, head', [('base_uperhead', 'HeightUPerHead'),
                                           ('base_lighthead', 'HeightLightHead'),
                                           ('large_uperhead', 'HeightUPerHead'),
                                           ('large_lighthead', 'HeightLightHead')])
def test_height_configs_build(variant, head):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, f'mars-{variant}_8xb2-40k_ubc-height-512x512.py'))
    for modality in ('rgb', 'sar'):
        cfg.model.backbone.modalities[modality].init_cfg = None  # no released weights here
    init_default_scope('mmseg')
    model = MODELS.build(cfg.model)
    assert type(model.decode_head).__name__ == head
    assert model.decode_head.in_channels == model.backbone.out_channels


def test_ubc_fixture_trains_and_tests_in_metres(ubc_height_root, tmp_path, run_tool,
                                                run_script, free_port):
    data = [f'{loader}_dataloader.dataset.data_root={ubc_height_root}'
            for loader in ('train', 'val', 'test')]
    work_dir = tmp_path / 'work'
    log = run_tool('train.py', TINY, '--work-dir', str(work_dir), '--cfg-options', *data)
    assert (work_dir / 'iter_2.pth').exists()
    # The seeded holdout split is recorded: 6 fixture tiles -> 5 train + 1 val, disjoint.
    train_ids = (work_dir / 'train_ids.txt').read_text().split()
    val_ids = (work_dir / 'val_ids.txt').read_text().split()
    assert len(train_ids) == 5 and len(val_ids) == 1 and not set(train_ids) & set(val_ids)
    assert re.search(r'building_MAE: \d+\.\d+', log)

    test_dir = tmp_path / 'test'
    log = run_tool('test.py', TINY, str(work_dir / 'iter_2.pth'), '--work-dir',
                   str(test_dir), '--show-dir', 'vis', '--out', str(tmp_path / 'preds'),
                   '--cfg-options', *data)
    for key in ('MAE', 'RMSE', 'building_MAE', 'building_RMSE', 'delta1', 'per_image_MAE'):
        assert re.search(rf'{key}: \d+\.\d+', log), key
    [drawing] = list((test_dir / 'vis').rglob('*.png'))
    assert drawing.name.startswith('test_rgb+sar_')
    [prediction] = list((tmp_path / 'preds').glob('*.tif'))
    height = tifffile.imread(prediction)
    assert height.dtype == 'float32' and height.shape == (64, 64)

    # Two processes (gloo on CPU) pool the same pixels: identical metrics.
    dist_log = run_script('dist_test.sh', TINY, str(work_dir / 'iter_2.pth'), 2,
                          '--work-dir', str(tmp_path / 'dist'), '--cfg-options', *data,
                          env=dict(PORT=str(free_port)))
    for key in ('MAE', 'RMSE', 'building_MAE', 'delta1'):
        single = re.search(rf'Iter\(test\).* {key}: (\S+)', log).group(1)
        assert re.search(rf'Iter\(test\).* {key}: (\S+)', dist_log).group(1) == single, key
