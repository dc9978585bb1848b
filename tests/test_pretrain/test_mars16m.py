"""MaRS16MDataset and the paired pretraining transforms."""
import os

import numpy as np
import pytest
import tifffile
import torch
from mmengine.dataset import default_collate

from mars.datasets import MaRS16MDataset
from mars.datasets.transforms.pretrain import (LoadMaRSPair, MaRSMaskGenerator,
                                               PackMaRSPairInputs, PairedRandomFlip,
                                               PairedRandomResizedCrop)
from mars.testing.synthetic_pretrain import make_synthetic_mars16m


def test_pairs_matched_by_name_with_per_source_sar_stats(tmp_path):
    root = tmp_path / 'mars16m'
    pairs = make_synthetic_mars16m(root, pairs_per_source=2, size=32, unmatched=1)
    dataset = MaRS16MDataset(data_root=str(root))
    assert len(dataset) == len(pairs) == 4  # the RGB files without SAR are left out
    by_source = {}
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        assert os.path.basename(info['rgb_path']) == os.path.basename(info['sar_path'])
        assert f'/{info["source"]}/rgb/' in info['rgb_path']
        by_source[info['source']] = (info['sar_mean'], info['sar_std'])
    assert by_source == {'Umbra_patches': (36.42, 33.89),
                         'Capella_patches': (2353.35, 4327.07)}
    only_umbra = MaRS16MDataset(data_root=str(root), sources=('Umbra_patches', ))
    assert len(only_umbra) == 2


def test_file_list_cache_is_written_then_read(tmp_path):
    root = tmp_path / 'mars16m'
    make_synthetic_mars16m(root, pairs_per_source=2, size=32)
    dataset = MaRS16MDataset(data_root=str(root), ann_file='pairs.txt')
    lines = (root / 'pairs.txt').read_text().split()
    assert len(lines) == len(dataset) == 4 and lines[0].startswith('Umbra_patches/')
    # The cache wins over the folders: a new pair is ignored until the cache is deleted.
    make_synthetic_mars16m(root, pairs_per_source=3, size=32)
    assert len(MaRS16MDataset(data_root=str(root), ann_file='pairs.txt')) == 4
    os.remove(root / 'pairs.txt')
    assert len(MaRS16MDataset(data_root=str(root), ann_file='pairs.txt')) == 6
    (root / 'bad.txt').write_text('Umbra_patches/a.tif\nSentinel/b.tif\n')
    with pytest.raises(ValueError, match='bad.txt:2'):
        MaRS16MDataset(data_root=str(root), ann_file='bad.txt')


def test_missing_folders_and_empty_trees_are_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='Umbra_patches/rgb'):
        MaRS16MDataset(data_root=str(tmp_path))
    for modality in ('rgb', 'sar'):
        (tmp_path / 'Umbra_patches' / modality).mkdir(parents=True)
    with pytest.raises(ValueError, match='no RGB/SAR pairs'):
        MaRS16MDataset(data_root=str(tmp_path), sources=('Umbra_patches', ))
    with pytest.raises(KeyError, match='Sentinel'):
        MaRS16MDataset(data_root=str(tmp_path), sources=('Sentinel', ))


def _position_pair(tmp_path, size=96, sar_dtype=np.uint16):
    """A pair whose SAR equals RGB band 0 and whose RGB encodes pixel positions."""
    rows, cols = np.mgrid[:size, :size]
    rgb = np.stack([rows * 2, cols * 2, np.full_like(rows, 7)], -1).astype(np.uint8)
    paths = dict(rgb_path=str(tmp_path / 'rgb.tif'), sar_path=str(tmp_path / 'sar.tif'))
    tifffile.imwrite(paths['rgb_path'], rgb, photometric='rgb', compression='zlib')
    tifffile.imwrite(paths['sar_path'], rgb[..., 0].astype(sar_dtype), compression='zlib')
    return paths


def test_crop_and_flip_move_both_modalities_together(tmp_path):
    paths = _position_pair(tmp_path)
    pipeline = [LoadMaRSPair(), PairedRandomResizedCrop(size=64, scale=(0.7, 1.0)),
                PairedRandomFlip(prob=0.5)]
    np.random.seed(0)
    flips = set()
    for _ in range(8):
        results = dict(paths)
        for transform in pipeline:
            results = transform(results)
        rgb, sar = results['rgb'], results['sar']
        assert rgb.shape == (64, 64, 3) and rgb.dtype == np.uint8
        assert sar.shape == (64, 64) and sar.dtype == np.uint16
        # Same box, same resize, same flip: SAR still equals RGB band 0.
        assert np.abs(sar.astype(int) - rgb[..., 0]).max() <= 1
        x0, y0, x1, y1 = results['crop_bbox']
        area = (x1 - x0) * (y1 - y0) / 96**2
        assert 0.65 <= area <= 1.0
        # Band 1 grows with the column: left to right unless flipped.
        flips.add(results['flip'])
        assert (rgb[0, 0, 1] > rgb[0, -1, 1]) == results['flip']
    assert flips == {True, False}


def test_loader_errors_name_the_files(tmp_path):
    paths = _position_pair(tmp_path)
    tifffile.imwrite(tmp_path / 'small.tif', np.zeros((32, 32), np.uint8))
    with pytest.raises(ValueError, match='small.tif'):
        LoadMaRSPair()(dict(paths, sar_path=str(tmp_path / 'small.tif')))
    with pytest.raises(ValueError, match='expected HxWx3'):
        LoadMaRSPair()(dict(paths, rgb_path=paths['sar_path']))


def test_mask_generator_counts_and_independence():
    generator = MaRSMaskGenerator(input_size=512, mask_patch_size=32, mask_ratio=0.6)
    np.random.seed(0)
    masks = generator(dict(img_shape=(512, 512)))['masks']
    assert set(masks) == {'rgb', 'sar'}
    for mask in masks.values():
        assert mask.shape == (16, 16) and mask.sum() == int(np.ceil(256 * 0.6))
    assert not np.array_equal(masks['rgb'], masks['sar'])
    with pytest.raises(ValueError, match='multiple of mask_patch_size'):
        MaRSMaskGenerator(input_size=100)
    with pytest.raises(ValueError, match='crop to input_size'):
        generator(dict(img_shape=(256, 256)))


def test_dataset_pipeline_to_batch(mars16m_root):
    pipeline = [dict(type='LoadMaRSPair'),
                dict(type='PairedRandomResizedCrop', size=64),
                dict(type='PairedRandomFlip'),
                dict(type='MaRSMaskGenerator', input_size=64),
                dict(type='PackMaRSPairInputs')]
    from mmengine.registry import init_default_scope
    init_default_scope('mars')
    dataset = MaRS16MDataset(data_root=str(mars16m_root), pipeline=pipeline)
    batch = default_collate([dataset[i] for i in range(len(dataset))])
    assert batch['inputs']['rgb'].shape == (4, 3, 64, 64)
    assert batch['inputs']['rgb'].dtype == torch.uint8
    assert batch['inputs']['sar'].shape == (4, 1, 64, 64)
    assert batch['inputs']['sar'].dtype == torch.float32
    assert batch['inputs']['sar'][2:].max() > 255  # Capella keeps its uint16 range
    assert batch['data_samples']['masks']['rgb'].shape == (4, 2, 2)
    assert batch['data_samples']['sar_std'].tolist() == [33.89, 33.89, 4327.07, 4327.07]
    assert PackMaRSPairInputs.__name__ in repr(dataset.pipeline)
