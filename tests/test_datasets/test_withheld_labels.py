"""Splits whose labels are withheld (DFC25 track 2 val / test, DFC23 track 2 test): the
datasets read them with ``with_labels=False`` and the metrics write the benchmark's
submission form instead of scoring."""
import json
import os.path as osp
import re
import shutil
import zipfile

import numpy as np
import pytest
import tifffile
import torch
from mmengine.registry import init_default_scope
from PIL import Image

from helpers import REPO_ROOT

from mars.datasets import BRIGHTDataset, UBCHeightDataset
from mars.testing.synthetic import make_synthetic_ubc_height
from mars.testing.synthetic_change import make_synthetic_bright
from mars.evaluation.metrics import DamageMetric, HeightMetric
from mars.utils.geotiff import GeoTiffReader, utm_geo_tags, write_geotiff

BRIGHT_TINY = osp.join(REPO_ROOT, 'tests', 'test_change', 'configs',
                       'mars-tiny_siamese-upernet_1xb2-2it_bright-64x64.py')
UBC_TINY = osp.join(REPO_ROOT, 'tests', 'fixtures', 'configs',
                    'mars-tiny_uperhead_1xb2-2it_ubc-height-64x64.py')
BRIGHT_CLASSES = ('background', 'intact', 'damaged', 'destroyed')
BRIGHT_LOAD = [dict(type='LoadBitemporalImages', dates=('pre', 'post'),
                    channels=dict(pre=3, post=1), first_bands=('pre', )),
               dict(type='LoadRSAnnotations'), dict(type='PackMultiModalSegInputs')]
UBC_LOAD = [dict(type='LoadMultiModalImages', modalities=('rgb', 'sar'),
                 channels=dict(rgb=3, sar=1)),
            dict(type='LoadHeightAnnotation'), dict(type='PackMultiModalSegInputs')]


@pytest.fixture
def bright_unlabelled(tmp_path):
    """BRIGHT layout with labelled train / val and a ``test`` split without ``target/``."""
    written = make_synthetic_bright(tmp_path / 'bright', splits=('train', 'val', 'test'),
                                    tiles=2, size=96)
    shutil.rmtree(osp.join(written['root'], 'test', 'target'))
    return written


@pytest.fixture
def ubc_unlabelled(tmp_path):
    """UBC layout with labelled train and a ``test`` split of rgb / sar only."""
    written = make_synthetic_ubc_height(tmp_path / 'ubc', splits=('train', 'test'), tiles=6,
                                        size=64)
    shutil.rmtree(osp.join(written['root'], 'test', 'height'))
    return written


def test_bright_split_without_target(bright_unlabelled):
    init_default_scope('mmseg')
    root = bright_unlabelled['root']
    with pytest.raises(FileNotFoundError, match=re.escape(osp.join('test', 'target'))):
        BRIGHTDataset(data_root=root, split='test', pipeline=BRIGHT_LOAD)
    dataset = BRIGHTDataset(data_root=root, split='test', with_labels=False,
                            pipeline=BRIGHT_LOAD)
    assert [info['sample_name'] for info in dataset.load_data_list()] == \
        bright_unlabelled['names']['test']
    assert dataset.metainfo['labels_withheld'] is True
    assert all(dataset.get_data_info(i)['seg_map_path'] is None for i in range(len(dataset)))
    sample = dataset[0]
    assert sample['inputs'].shape == (4, 96, 96)
    assert 'gt_sem_seg' not in sample['data_samples']
    labelled = BRIGHTDataset(data_root=root, split='val', pipeline=BRIGHT_LOAD)
    assert 'labels_withheld' not in labelled.metainfo
    assert 'gt_sem_seg' in labelled[0]['data_samples']


def test_ubc_split_without_heights(ubc_unlabelled):
    init_default_scope('mmseg')
    root = ubc_unlabelled['root']
    with pytest.raises(FileNotFoundError, match=re.escape(osp.join('test', 'height'))):
        UBCHeightDataset(data_root=root, split='test', pipeline=UBC_LOAD)
    dataset = UBCHeightDataset(data_root=root, split='test', with_labels=False,
                               pipeline=UBC_LOAD)
    assert len(dataset) == 6 and dataset.metainfo['labels_withheld'] is True
    assert dataset.get_data_info(0)['height_path'] is None
    sample = dataset[0]
    assert sample['inputs'].shape == (4, 64, 64)
    assert 'gt_depth_map' not in sample['data_samples']
    with pytest.raises(ValueError, match='holdout'):
        UBCHeightDataset(data_root=root, split='train', holdout=dict(part='val'),
                         with_labels=False, pipeline=UBC_LOAD)


def _damage_sample(name, pred):
    return dict(pred_sem_seg=dict(data=torch.tensor(pred)[None]),
                img_path=[f'/d/test/pre-event/{name}_pre_disaster.tif',
                          f'/d/test/post-event/{name}_post_disaster.tif'])


def test_damage_metric_writes_the_dfc25_submission_for_withheld_labels(tmp_path):
    meta = dict(classes=BRIGHT_CLASSES, labels_withheld=True)
    metric = DamageMetric()
    metric.dataset_meta = meta
    with pytest.raises(ValueError, match='output_dir.*--out'):
        metric.process({}, [_damage_sample('noto-earthquake_00000001', [[0, 1]])])

    out = tmp_path / 'sub'
    metric = DamageMetric(output_dir=str(out))
    metric.dataset_meta = meta
    metric.process({}, [_damage_sample('noto-earthquake_00000001', [[0, 1], [2, 3]]),
                        _damage_sample('marshall-wildfire_00000012', [[3, 3], [0, 0]])])
    assert metric.compute_metrics(metric.results) == {}
    written = Image.open(out / 'noto-earthquake_00000001_building_damage.png')
    assert written.mode == 'L'
    assert np.asarray(written).tolist() == [[0, 1], [2, 3]]
    with zipfile.ZipFile(out / 'submission.zip') as archive:
        assert sorted(archive.namelist()) == ['marshall-wildfire_00000012_building_damage.png',
                                              'noto-earthquake_00000001_building_damage.png']
        with archive.open('marshall-wildfire_00000012_building_damage.png') as f:
            assert np.asarray(Image.open(f)).tolist() == [[3, 3], [0, 0]]


def test_height_metric_writes_the_dfc23_height_folder_for_withheld_labels(tmp_path):
    rgb = tmp_path / 'test' / 'rgb' / 'P0021.tif'
    rgb.parent.mkdir(parents=True)
    write_geotiff(str(rgb), np.zeros((2, 2, 3), np.uint8), utm_geo_tags())
    sample = dict(pred_depth_map=dict(data=torch.tensor([[[1.5, 0.0], [20.25, 3.0]]])),
                  img_path=str(rgb))
    metric = HeightMetric()
    metric.dataset_meta = dict(classes=('height', ), labels_withheld=True)
    with pytest.raises(ValueError, match='output_dir.*--out'):
        metric.process({}, [sample])
    metric = HeightMetric(output_dir=str(tmp_path / 'submit'))
    metric.dataset_meta = dict(classes=('height', ), labels_withheld=True)
    metric.process({}, [sample])
    assert metric.compute_metrics(metric.results) == {}
    height = tifffile.imread(tmp_path / 'submit' / 'height' / 'P0021.tif')
    assert height.dtype == np.float32 and height.tolist() == [[1.5, 0.0], [20.25, 3.0]]
    with GeoTiffReader(str(tmp_path / 'submit' / 'height' / 'P0021.tif')) as written, \
            GeoTiffReader(str(rgb)) as source:
        assert written.geo_tags == source.geo_tags != {}
    with pytest.raises(ValueError, match='needs an output_dir'):
        HeightMetric(format_only=True)


def test_bright_label_free_split_through_the_tools(bright_unlabelled, tmp_path, run_tool):
    root = bright_unlabelled['root']
    data = [f'{loader}_dataloader.dataset.data_root={root}'
            for loader in ('train', 'val', 'test')]
    work_dir = tmp_path / 'work'
    run_tool('train.py', BRIGHT_TINY, '--work-dir', work_dir, '--cfg-options', *data)
    out = tmp_path / 'submission'
    log = run_tool('test.py', BRIGHT_TINY, work_dir / 'iter_2.pth', '--work-dir',
                   tmp_path / 'test', '--out', out, '--show-dir', 'vis', '--cfg-options',
                   *data, 'test_dataloader.dataset.split=test',
                   'test_dataloader.dataset.with_labels=False')
    names = bright_unlabelled['names']['test']
    assert len(re.findall(r'labels withheld \(dataset with_labels=False\): metrics skipped; '
                          rf'{len(names)} predictions written to {re.escape(str(out))} in '
                          'the DFC25 track 2 submission form', log)) == 1
    expected = sorted(f'{name}_building_damage.png' for name in names)
    assert sorted(p for p in map(osp.basename, out.iterdir()) if p.endswith('.png')) == \
        expected
    for name in expected:
        with Image.open(out / name) as png:
            assert png.mode == 'L' and png.size == (96, 96)
            values = np.asarray(png)
        assert values.dtype == np.uint8 and set(np.unique(values)) <= {0, 1, 2, 3}
    with zipfile.ZipFile(out / 'submission.zip') as archive:
        assert sorted(archive.namelist()) == expected
    results = json.loads((tmp_path / 'test' / 'test_results.json').read_text())
    assert results['metrics'] == {}
    assert 'mIoU' not in log.split('labels withheld')[-1]
    # --show-dir draws pre RGB | post SAR | prediction (no truth panel) for every tile.
    drawings = sorted((tmp_path / 'test' / 'vis').rglob('*.png'))
    assert len(drawings) == len(names)
    assert Image.open(drawings[0]).size == (3 * 96, 96)


def test_ubc_label_free_split_through_the_tools(ubc_unlabelled, tmp_path, run_tool):
    root = ubc_unlabelled['root']
    data = [f'{loader}_dataloader.dataset.data_root={root}'
            for loader in ('train', 'val', 'test')]
    work_dir = tmp_path / 'work'
    run_tool('train.py', UBC_TINY, '--work-dir', work_dir, '--cfg-options', *data)
    out = tmp_path / 'DFC2023_Track_2_submit'
    log = run_tool('test.py', UBC_TINY, work_dir / 'iter_2.pth', '--work-dir',
                   tmp_path / 'test', '--out', out, '--cfg-options', *data,
                   'test_dataloader.dataset.split=test', 'test_dataloader.dataset.holdout=None',
                   'test_dataloader.dataset.with_labels=False')
    ids = ubc_unlabelled['ids']['test']
    assert len(re.findall(r'labels withheld \(dataset with_labels=False\): metrics skipped; '
                          rf'{len(ids)} predictions written to '
                          rf'{re.escape(str(out / "height"))} \(float32 metres', log)) == 1
    assert sorted(p.name for p in (out / 'height').iterdir()) == \
        sorted(f'{i}.tif' for i in ids)
    for i in ids:
        height = tifffile.imread(out / 'height' / f'{i}.tif')
        assert height.dtype == np.float32 and height.shape == (64, 64)
        assert np.isfinite(height).all()
    assert not re.search(r'Iter\(test\).*MAE', log)
