"""MultiModalSegDataset built from config dicts alone: suffixes, globs, split files, errors."""
import os.path as osp

import cv2
import numpy as np
import pytest
import tifffile
from mmengine.registry import DefaultScope
from mmseg.registry import DATASETS

from mars.datasets import MultiModalSegDataset

CLASSES = dict(classes=('background', 'field'), palette=[[0, 0, 0], [0, 255, 0]])
PIPELINE = [dict(type='LoadMultiModalImages'), dict(type='LoadRSAnnotations'),
            dict(type='PackMultiModalSegInputs')]


@pytest.fixture(autouse=True)
def mmseg_scope():
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


def write_layout(root, stems, sar_name='{}_SAR.tif', sar_dir='sar', size=8):
    """rgb/<stem>.tif, <sar_dir>/<sar_name>, labels/<stem>.png; each stem has its own
    constant SAR value and label so pairing mistakes show."""
    for sub in ('rgb', sar_dir, 'labels'):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for index, stem in enumerate(stems):
        tifffile.imwrite(root / 'rgb' / f'{stem}.tif',
                         np.full((size, size, 3), index, np.uint8), photometric='rgb')
        tifffile.imwrite(root / sar_dir / sar_name.format(stem),
                         np.full((size, size), 100 + index, np.uint16))
        cv2.imwrite(str(root / 'labels' / f'{stem}.png'),
                    np.full((size, size), index % 2, np.uint8))
    return str(root)


def build(**cfg):
    cfg = dict(dict(type='MultiModalSegDataset', metainfo=CLASSES, pipeline=PIPELINE), **cfg)
    return DATASETS.build(cfg)


def check_pairs(dataset, stems):
    assert [dataset.get_data_info(i)['sample_name'] for i in range(len(dataset))] == stems
    for i, stem in enumerate(stems):
        sample = dataset[i]
        index = int(stem[-1])
        assert sample['inputs'][0].unique().tolist() == [index]
        assert sample['inputs'][3].unique().tolist() == [100 + index]
        assert sample['data_samples'].gt_sem_seg.data.unique().tolist() == [index % 2]


def test_suffix_config(tmp_path):
    root = write_layout(tmp_path, ['t0', 't1', 't2'])
    dataset = build(data_root=root, modalities=dict(
        rgb=dict(folder='rgb', suffix='.tif'), sar=dict(folder='sar', suffix='_SAR.tif')),
        label=dict(folder='labels', suffix='.png'))
    assert isinstance(dataset, MultiModalSegDataset)
    assert dataset.metainfo['classes'] == CLASSES['classes']
    check_pairs(dataset, ['t0', 't1', 't2'])
    info = dataset.get_data_info(1)
    assert info['modality_paths'] == dict(rgb=osp.join(root, 'rgb', 't1.tif'),
                                          sar=osp.join(root, 'sar', 't1_SAR.tif'))
    assert info['seg_map_path'] == osp.join(root, 'labels', 't1.png')
    # The defaults are this very layout.
    check_pairs(build(data_root=root), ['t0', 't1', 't2'])


def test_glob_pattern_and_split_file(tmp_path):
    root = write_layout(tmp_path, ['t0', 't1', 't2'], sar_name='S1_{}_VV.tif', sar_dir='s1')
    (tmp_path / 'val.txt').write_text('t2\n\nt0.tif\n')
    dataset = build(
        data_root=root, split_file='val.txt',
        modalities=dict(rgb=dict(folder='rgb', pattern='*.tif'),
                        sar=dict(folder='s1', pattern='S1_*_V?.tif')),
        label=dict(folder='labels', pattern='*.png'))
    check_pairs(dataset, ['t2', 't0'])
    with pytest.raises(ValueError, match='exactly one "\\*"'):
        build(data_root=root, modalities=dict(rgb=dict(folder='rgb', pattern='*_*.tif')))


def test_unmatched_files_are_named(tmp_path):
    root = write_layout(tmp_path, ['t0', 't1'])
    tifffile.imwrite(tmp_path / 'sar' / 'orphan_SAR.tif', np.zeros((8, 8), np.uint16))
    (tmp_path / 'rgb' / 't1.tif').unlink()
    with pytest.raises(FileNotFoundError) as error:
        build(data_root=root)
    message = str(error.value)
    assert osp.join(root, 'rgb', 'orphan.tif') in message
    assert osp.join(root, 'labels', 'orphan.png') in message
    assert osp.join(root, 'rgb', 't1.tif') in message and 'found' in message
    (tmp_path / 'list.txt').write_text('t0\nt9\n')
    with pytest.raises(FileNotFoundError, match=osp.join(root, 'rgb', 't9.tif')):
        build(data_root=root, split_file='list.txt')
    with pytest.raises(FileNotFoundError, match='split file not found'):
        build(data_root=root, split_file='absent.txt')


def test_config_errors(tmp_path):
    root = write_layout(tmp_path, ['t0'])
    tifffile.imwrite(tmp_path / 'rgb' / 't0.png', np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match=r't0\.png .*both have the stem'):
        build(data_root=root, modalities=dict(rgb=dict(suffix=('.tif', '.png'))))
    with pytest.raises(ValueError, match='exactly one of suffix= or pattern='):
        build(data_root=root, modalities=dict(rgb=dict(folder='rgb')))
    with pytest.raises(ValueError, match='classes'):
        DATASETS.build(dict(type='MultiModalSegDataset', data_root=root))
    with pytest.raises(FileNotFoundError, match='sar folder not found'):
        build(data_root=root, modalities=dict(rgb=dict(suffix='.tif'),
                                              sar=dict(folder='absent', suffix='.tif')))


def test_optional_modality_and_unlabelled(tmp_path):
    root = write_layout(tmp_path, ['t0', 't1'])
    (tmp_path / 'sar' / 't1_SAR.tif').unlink()
    dataset = build(data_root=root, label=None, allow_missing=('sar', ),
                    pipeline=[dict(type='LoadMultiModalImages'),
                              dict(type='PackMultiModalSegInputs')])
    assert dataset.get_data_info(1)['modality_paths']['sar'] is None
    assert dataset.get_data_info(1)['seg_map_path'] is None
    assert dataset[1]['data_samples'].metainfo['modality_mask'] == (True, False)
