"""docs/train_on_your_own_data.md: its config, as printed, trains and tests a model."""
import os.path as osp
import re

import cv2
import numpy as np
import pytest
import tifffile
from mmengine.config import Config
from helpers import REPO_ROOT

from mars.utils.safe_checkpoint import load_checkpoint_file

DOC = osp.join(REPO_ROOT, 'docs', 'train_on_your_own_data.md')
# The recipe the test config inherits instead of the page's (no released weights here).
DEMO = osp.join(REPO_ROOT, 'configs', 'landcover', 'earthmiss',
                'mars-tiny_upernet_1xb8-500it_earthmiss-demo-128x128.py')


def doc_config():
    """The config code block of the page's "Write the config" section."""
    with open(DOC) as f:
        text = f.read()
    section = text[text.index('## 3. Write the config'):]
    return re.search(r'```python\n(.*?)```', section, re.S).group(1)


def write_own_data(root, stems, size=64, seed=0):
    """The page's layout: rgb/<stem>.tif, sar/<stem>_SAR.tif, labels/<stem>.png."""
    rng = np.random.default_rng(seed)
    for folder in ('rgb', 'sar', 'labels'):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for stem in stems:
        label = rng.integers(0, 3, (size, size), dtype=np.uint8)
        rgb = (label[..., None] * 60 + rng.integers(0, 40, (size, size, 3))).astype(np.uint8)
        # uint16 SAR on the scale of the page's example statistics (41.2 +- 38.8): values
        # that do not fit them stop the run (NormalizationCheckHook).
        sar = (label * 40 + rng.integers(0, 60, (size, size))).astype(np.uint16)
        tifffile.imwrite(root / 'rgb' / f'{stem}.tif', rgb, compression='zlib')
        tifffile.imwrite(root / 'sar' / f'{stem}_SAR.tif', sar)
        cv2.imwrite(str(root / 'labels' / f'{stem}.png'), label)
    (root / 'train.txt').write_text(''.join(f'{s}\n' for s in stems[:3]))
    (root / 'val.txt').write_text(''.join(f'{s}\n' for s in stems[3:]))


def test_documented_config_trains_and_tests_on_own_data(tmp_path, run_tool):
    data_root = tmp_path / 'my_rgb_sar'
    write_own_data(data_root, [f'tile_{i:04d}' for i in range(5)])
    config = doc_config()
    # The page's config as a user writes it; only the recipe it inherits is the tiny demo
    # one (no released weights here) and the data sits in the test's folder.
    config = re.sub(r"_base_ = \[.*?\]", f"_base_ = ['{DEMO}']", config, count=1)
    config = config.replace("data_root = 'data/my_rgb_sar'", f"data_root = '{data_root}'")
    assert f"_base_ = ['{DEMO}']" in config and str(data_root) in config
    config_file = tmp_path / 'my_rgb_sar.py'
    config_file.write_text(config)

    options = ['randomness.seed=0', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
               'train_dataloader.batch_size=2']
    for loader in ('train', 'val', 'test'):
        options += [f'{loader}_dataloader.num_workers=0',
                    f'{loader}_dataloader.persistent_workers=False']
    work_dir = tmp_path / 'work'
    log = run_tool('train.py', str(config_file), '--work-dir', str(work_dir),
                   '--cfg-options', *options)
    assert (work_dir / 'iter_2.pth').exists()
    assert 'IoU.water' in log  # the classes of the config, not EarthMiss's

    log = run_tool('test.py', str(config_file), str(work_dir / 'iter_2.pth'),
                   '--work-dir', str(tmp_path / 'test'), '--cfg-options', *options)
    assert 'metrics per modality-availability pattern' in log
    # The config's statistics differ from the demo's: the checkpoint records them, so
    # loading it for the test raises no normalisation warning.
    configured = Config.fromfile(str(config_file)).model.data_preprocessor.modalities
    demo = Config.fromfile(DEMO).model.data_preprocessor.modalities
    assert configured.rgb.mean == [98.1, 101.7, 93.2] != demo.rgb.mean
    saved = load_checkpoint_file(str(work_dir / 'iter_2.pth'), 'cpu')['meta'][
        'input_normalization']
    assert list(saved) == ['rgb', 'sar']
    for modality, stats in configured.items():
        assert saved[modality] == dict(mean=pytest.approx(stats.mean),
                                       std=pytest.approx(stats.std)), modality
    assert 'input normalisation differs' not in log
