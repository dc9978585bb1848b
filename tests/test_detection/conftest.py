"""Fixtures of the detection tests: tiny SARDet-100k and UBC-V2 trees in the real layouts,
the ``--cfg-options`` pointing the fixture configs at them, and trained work dirs shared
between tests."""
import os
import os.path as osp

import pytest
from helpers import FIXTURE_CONFIGS, find_free_port

from mars.testing.synthetic_det import make_synthetic_sardet, make_synthetic_ubcv2

SARDET_CONFIG = osp.join(FIXTURE_CONFIGS, 'mars-tiny_cascade-rcnn_fpn_1xb2-1e_tiny-sardet.py')
SARDET_SAR_CONFIG = osp.join(FIXTURE_CONFIGS,
                             'mars-tiny-sar_faster-rcnn_fpn_1xb2-1e_tiny-sardet.py')
UBCV2_CONFIG = osp.join(FIXTURE_CONFIGS, 'mars-tiny_cascade-mask-rcnn_fpn_1xb2-1e_tiny-ubcv2.py')
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def data_options(root, val_ann):
    """``--cfg-options`` pointing a detection config at ``root``, evaluating ``val_ann``."""
    root = str(root) + os.sep
    return [f'{loader}.dataset.data_root={root}' for loader in LOADERS] + [
        f'val_evaluator.ann_file={root}{val_ann}', f'test_evaluator.ann_file={root}{val_ann}']


@pytest.fixture(scope='session')
def sardet_root(tmp_path_factory):
    """SARDet-100k layout: 4 train, 3 val, 3 test images (JPG / BMP / PNG, 3 sizes),
    shuffled category ids."""
    root = tmp_path_factory.mktemp('sardet')
    make_synthetic_sardet(root, seed=0, shuffle_category_ids=True)
    return root


@pytest.fixture(scope='session')
def ubcv2_root(tmp_path_factory, run_tool):
    """UBC-V2 layout: 4 train and 2 val 64x64 tiles (rgb/, sar/, merge/), fine json, and
    the single-class json written by the converter tool."""
    root = tmp_path_factory.mktemp('ubcv2')
    files = make_synthetic_ubcv2(root, seed=0, shuffle_category_ids=True)
    run_tool('dataset_converters/ubcv2_single_category.py', *files.values())
    return root


@pytest.fixture(scope='session')
def trained_sardet(tmp_path_factory, run_tool, sardet_root):
    """Work dir of a 1-epoch training of the tiny SARDet Cascade R-CNN config."""
    work_dir = str(tmp_path_factory.mktemp('sardet_work_dir'))
    output = run_tool('train.py', SARDET_CONFIG, '--work-dir', work_dir, '--cfg-options',
                      *data_options(sardet_root, 'Annotations/val.json'))
    return dict(work_dir=work_dir, output=output,
                checkpoint=osp.join(work_dir, 'epoch_1.pth'))


@pytest.fixture(scope='session')
def trained_ubcv2(tmp_path_factory, run_script, ubcv2_root):
    """Work dir of a 1-epoch training of the tiny UBC-V2 Cascade Mask R-CNN config with
    ``tools/dist_train.sh`` over 2 CPU processes (gloo)."""
    work_dir = str(tmp_path_factory.mktemp('ubcv2_work_dir'))
    output = run_script('dist_train.sh', UBCV2_CONFIG, 2, '--work-dir', work_dir,
                        '--cfg-options',
                        *data_options(ubcv2_root, 'annotations/roof_single_val.json'),
                        env=dict(PORT=str(find_free_port())))
    return dict(work_dir=work_dir, output=output,
                checkpoint=osp.join(work_dir, 'epoch_1.pth'))


@pytest.fixture(scope='session')
def det_configs():
    """Paths of the detection fixture configs by name."""
    return dict(sardet=SARDET_CONFIG, sardet_sar=SARDET_SAR_CONFIG, ubcv2=UBCV2_CONFIG)


@pytest.fixture(scope='session')
def det_options():
    """``det_options(root, val_ann)``: see :func:`data_options`."""
    return data_options
