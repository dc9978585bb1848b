"""UBCHeightDataset, LoadHeightAnnotation and the synthetic UBC height writer."""
import os
import os.path as osp

import numpy as np
import pytest
import tifffile
import torch
from mmcv.transforms import Compose
from mmengine.registry import DefaultScope
from mmseg.registry import DATASETS, TRANSFORMS

import mars.datasets  # noqa: F401  (registration)
from mars.datasets import UBCHeightDataset, holdout_split
from mars.testing import make_synthetic_ubc_height
from mars.datasets.transforms import LoadHeightAnnotation, LoadMultiModalImages

PIPELINE = [dict(type='LoadMultiModalImages'), dict(type='LoadHeightAnnotation'),
            dict(type='RandomCrop', crop_size=(32, 32)), dict(type='RandomFlip', prob=1.0),
            dict(type='RandomRot90', prob=1.0), dict(type='PackMultiModalSegInputs')]


def test_dataset_lists_pairs(ubc_height_root):
    dataset = DATASETS.build(dict(type='UBCHeightDataset', data_root=str(ubc_height_root)))
    assert len(dataset) == 6
    info = dataset.get_data_info(0)
    assert info['sample_name'] == 'train_0000'
    assert info['modality_paths']['rgb'] == osp.join(str(ubc_height_root), 'train', 'rgb',
                                                     'train_0000.tif')
    assert info['modality_paths']['sar'].endswith(osp.join('sar', 'train_0000.tif'))
    assert info['height_path'].endswith(osp.join('height', 'train_0000.tif'))
    assert info['img_path'] == info['modality_paths']['rgb']
    assert info['seg_map_path'] is None and info['seg_fields'] == []


def test_dsm_alias_and_missing_folder(tmp_path):
    make_synthetic_ubc_height(tmp_path / 'a', tiles=2, size=16, height_folder='dsm')
    dataset = UBCHeightDataset(data_root=str(tmp_path / 'a'))
    assert dataset.get_data_info(0)['height_path'].endswith(osp.join('dsm', 'train_0000.tif'))
    with pytest.raises(FileNotFoundError, match='no height folder'):
        UBCHeightDataset(data_root=str(tmp_path / 'a'), split='val')
    os.makedirs(tmp_path / 'a' / 'train' / 'height')
    with pytest.raises(ValueError, match='height_folder='):
        UBCHeightDataset(data_root=str(tmp_path / 'a'))


def test_holdout_split_deterministic_disjoint_recorded(ubc_height_root, tmp_path):
    record = tmp_path / 'work'
    kwargs = dict(data_root=str(ubc_height_root), split_record_dir=str(record))
    train = UBCHeightDataset(holdout=dict(fraction=0.34, seed=3, part='train'), **kwargs)
    val = UBCHeightDataset(split='val', holdout=dict(fraction=0.34, seed=3), **kwargs)
    train_ids = [train.get_data_info(i)['sample_name'] for i in range(len(train))]
    val_ids = [val.get_data_info(i)['sample_name'] for i in range(len(val))]
    assert len(train_ids) == 4 and len(val_ids) == 2
    assert not set(train_ids) & set(val_ids)
    assert sorted(train_ids + val_ids) == [f'train_{i:04d}' for i in range(6)]
    assert val.get_data_info(0)['split'] == 'val'
    assert (record / 'train_ids.txt').read_text().split() == train_ids
    assert (record / 'val_ids.txt').read_text().split() == val_ids
    # Same seed, same split; listing order does not matter.
    again = holdout_split(list(reversed(train_ids + val_ids)), 0.34, 3)
    assert again == (train_ids, val_ids)
    with pytest.raises(ValueError, match='part'):
        UBCHeightDataset(holdout=dict(part='test'), **kwargs)


def test_pipeline_packs_gt_depth_map(ubc_height_root):
    # Pipelines name transforms without a scope prefix, as configs with default_scope='mmseg'.
    with DefaultScope.overwrite_default_scope('mmseg'):
        dataset = UBCHeightDataset(data_root=str(ubc_height_root), pipeline=PIPELINE)
        sample = dataset[0]
    assert sample['inputs'].shape == (4, 32, 32)
    depth = sample['data_samples'].gt_depth_map.data
    assert depth.shape == (1, 32, 32) and depth.dtype == torch.float32


def test_geometric_transforms_move_height_with_image(ubc_height_root):
    """Crop / flip / rotate keep height and SAR pixel-aligned (SAR is built from height)."""
    info = UBCHeightDataset(data_root=str(ubc_height_root)).get_data_info(1)
    load = Compose([LoadMultiModalImages(), LoadHeightAnnotation()])
    full = load(dict(info))
    marker = np.arange(64 * 64, dtype=np.float32).reshape(64, 64)
    results = dict(full, img=np.dstack([full['img'], marker]))
    results = Compose([TRANSFORMS.build(t) for t in PIPELINE[2:5]])(results)
    moved = results['img'][..., -1].astype(int)
    np.testing.assert_array_equal(results['gt_depth_map'],
                                  full['gt_depth_map'].reshape(-1)[moved.reshape(-1)]
                                  .reshape(moved.shape))


def test_nodata_becomes_nan(ubc_height_root, tmp_path):
    info = UBCHeightDataset(data_root=str(ubc_height_root)).get_data_info(0)
    results = LoadHeightAnnotation()(dict(info, seg_fields=[]))
    height = results['gt_depth_map']
    assert height.dtype == np.float32 and int(np.isnan(height).sum()) == 5
    assert results['seg_fields'] == ['gt_depth_map']
    finite = height[np.isfinite(height)]
    assert finite.min() == 0 and 3 <= finite[finite > 0].min() and finite.max() <= 60
    # inf, an explicit nodata value and the GDAL_NODATA tag all become NaN.
    array = np.array([[1, np.inf], [-9999, 5]], np.float32)
    path = str(tmp_path / 'h.tif')
    tifffile.imwrite(path, array, extratags=[(42113, 's', 0, '5', True)])
    out = LoadHeightAnnotation(nodata=-9999)(dict(height_path=path))['gt_depth_map']
    np.testing.assert_array_equal(np.isnan(out), [[False, True], [True, True]])
    out = LoadHeightAnnotation(use_gdal_nodata=False)(dict(height_path=path))['gt_depth_map']
    np.testing.assert_array_equal(np.isnan(out), [[False, True], [False, False]])


def test_bad_height_files(tmp_path):
    image = np.zeros((8, 8, 4), np.float32)
    wrong_size = str(tmp_path / 'wrong_size.tif')
    tifffile.imwrite(wrong_size, np.zeros((8, 6), np.float32))
    with pytest.raises(ValueError, match=r'wrong_size\.tif is 8x6 .* 8x8'):
        LoadHeightAnnotation()(dict(height_path=wrong_size, img=image, img_path='x.tif'))
    integer = str(tmp_path / 'integer.tif')
    tifffile.imwrite(integer, np.zeros((8, 8), np.uint8))
    with pytest.raises(ValueError, match=r'integer\.tif has dtype uint8'):
        LoadHeightAnnotation()(dict(height_path=integer, img=image))
    bands = str(tmp_path / 'bands.tif')
    tifffile.imwrite(bands, np.zeros((8, 8, 3), np.float32), photometric='rgb')
    with pytest.raises(ValueError, match=r'bands\.tif has shape'):
        LoadHeightAnnotation()(dict(height_path=bands))


def test_synthetic_is_deterministic_and_correlated(tmp_path):
    a = make_synthetic_ubc_height(tmp_path / 'a', tiles=2, size=32, seed=1)
    make_synthetic_ubc_height(tmp_path / 'b', tiles=2, size=32, seed=1)
    for sub in ('rgb', 'sar', 'height'):
        path = osp.join('train', sub, 'train_0001.tif')
        np.testing.assert_array_equal(tifffile.imread(osp.join(a['root'], path)),
                                      tifffile.imread(str(tmp_path / 'b' / path)))
    height = tifffile.imread(osp.join(a['root'], 'train', 'height', 'train_0000.tif'))
    sar = tifffile.imread(osp.join(a['root'], 'train', 'sar', 'train_0000.tif'))
    assert height.dtype == np.float32 and sar.dtype == np.float32  # as the release
    assert sar[height > 0].mean() > sar[height == 0].mean()
