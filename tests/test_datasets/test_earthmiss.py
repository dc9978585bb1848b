"""EarthMissDataset: pairing by city, label codes, errors naming files, missing SAR."""
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import DefaultScope
from mmseg.registry import DATASETS

from mars.datasets import EARTHMISS_CITIES, EarthMissDataset
from mars.datasets.transforms import read_image
from mars.testing import TINY_EARTHMISS_CITIES, make_synthetic_earthmiss

TRAIN = TINY_EARTHMISS_CITIES['train']
PIPELINE = [
    dict(type='LoadMultiModalImages', modalities=('rgb', 'sar'), channels=dict(rgb=3, sar=1)),
    dict(type='LoadRSAnnotations'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackMultiModalSegInputs'),
]


@pytest.fixture(autouse=True)
def mmseg_scope():
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


def names(root, city):
    rgb_dir = osp.join(root, city, 'images', 'RGB')
    return sorted(osp.splitext(n)[0] for n in os.listdir(rgb_dir))


def test_lists_pairs_by_city(earthmiss_root):
    dataset = EarthMissDataset(data_root=str(earthmiss_root), cities=TRAIN)
    assert len(dataset) == 4
    assert dataset.metainfo['classes'][:3] == ('Background', 'Building', 'Road')
    assert len(dataset.metainfo['palette']) == 8
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    assert [info['city'] for info in infos] == [TRAIN[0]] * 2 + [TRAIN[1]] * 2
    for info in infos:
        city_dir = osp.join(str(earthmiss_root), info['city'])
        name = info['sample_name']
        assert name in names(earthmiss_root, info['city'])
        assert info['modality_paths'] == dict(
            rgb=osp.join(city_dir, 'images', 'RGB', f'{name}.tif'),
            sar=osp.join(city_dir, 'images', 'SAR', f'{name}_SAR.tif'))
        assert info['img_path'] == info['modality_paths']['rgb']
        assert info['seg_map_path'] == osp.join(city_dir, 'masks', f'{name}_mask.tif')
        assert info['reduce_zero_label'] is True


def test_official_split_cities_and_missing_city(earthmiss_root):
    assert len(EARTHMISS_CITIES['train']) == 7 and 'Nanjing' in EARTHMISS_CITIES['train']
    assert EARTHMISS_CITIES['test'] == ('America-NewYork', 'Japan-Hakodate', 'Peru-Callao')
    # The tiny copy lacks most official cities: the error names the first absent folder.
    with pytest.raises(FileNotFoundError, match='America-Louisville'):
        EarthMissDataset(data_root=str(earthmiss_root), split='train')
    with pytest.raises(ValueError, match='split must be one of'):
        EarthMissDataset(data_root=str(earthmiss_root), split='trainval')


def test_labels_shift_and_ignore(earthmiss_root):
    dataset = EarthMissDataset(data_root=str(earthmiss_root), cities=TRAIN, pipeline=[
        dict(type='LoadMultiModalImages'), dict(type='LoadRSAnnotations'),
        dict(type='PackMultiModalSegInputs')])
    sample = dataset[0]
    raw = read_image(dataset.get_data_info(0)['seg_map_path'])
    label = sample['data_samples'].gt_sem_seg.data[0].numpy()
    assert (raw == 0).any() and raw.max() <= 8
    np.testing.assert_array_equal(label[raw == 0], 255)
    np.testing.assert_array_equal(label[raw > 0], raw[raw > 0].astype(np.int64) - 1)
    assert sample['inputs'].shape == (4, 64, 64)
    assert sample['data_samples'].metainfo['modality_mask'] == (True, True)


def test_missing_files_are_named(earthmiss_root):
    city = TRAIN[0]
    name = names(earthmiss_root, city)[0]
    sar = osp.join(str(earthmiss_root), city, 'images', 'SAR', f'{name}_SAR.tif')
    os.remove(sar)
    with pytest.raises(FileNotFoundError, match=f'sar file .*expected {sar}'):
        EarthMissDataset(data_root=str(earthmiss_root), cities=TRAIN)
    # Declared missing: path None, loaded as zeros with the mask off.
    dataset = EarthMissDataset(data_root=str(earthmiss_root), cities=TRAIN,
                               allow_missing=('sar', ), pipeline=PIPELINE)
    assert dataset.get_data_info(0)['modality_paths']['sar'] is None
    sample = dataset[0]
    assert sample['data_samples'].metainfo['modality_mask'] == (True, False)
    assert (sample['inputs'][3] == 0).all()
    mask = osp.join(str(earthmiss_root), city, 'masks', f'{name}_mask.tif')
    os.remove(mask)
    with pytest.raises(FileNotFoundError, match=f'label file .*expected {mask}'):
        EarthMissDataset(data_root=str(earthmiss_root), cities=TRAIN, allow_missing=('sar', ))


def test_png_release_and_uint16_sar_through_config(tmp_path):
    make_synthetic_earthmiss(tmp_path, cities=['Nanjing'], tiles_per_city=2, size=32,
                             fmt='png', sar_dtype='uint16')
    dataset = DATASETS.build(dict(
        type='EarthMissDataset', data_root=str(tmp_path), cities=['Nanjing'],
        pipeline=PIPELINE))
    assert dataset.get_data_info(0)['modality_paths']['sar'].endswith('_SAR.png')
    sample = dataset[1]
    assert sample['inputs'].shape == (4, 32, 32)
    assert sample['inputs'][3].max() > 255  # uint16 SAR kept its range


def test_synthetic_is_deterministic(tmp_path):
    a = make_synthetic_earthmiss(tmp_path / 'a', cities=['Nanjing'], tiles_per_city=1, size=32)
    make_synthetic_earthmiss(tmp_path / 'b', cities=['Nanjing'], tiles_per_city=1, size=32)
    name = a['names']['Nanjing'][0]
    for sub in (f'images/RGB/{name}.tif', f'images/SAR/{name}_SAR.tif',
                f'masks/{name}_mask.tif'):
        np.testing.assert_array_equal(read_image(tmp_path / 'a' / 'Nanjing' / sub),
                                      read_image(tmp_path / 'b' / 'Nanjing' / sub))


def test_synthetic_classes_split_between_modalities(tmp_path):
    make_synthetic_earthmiss(tmp_path, cities=['Nanjing'], tiles_per_city=3, size=128)
    city = tmp_path / 'Nanjing'
    rgb, sar, label = [], [], []
    for name in names(tmp_path, 'Nanjing'):
        rgb.append(read_image(city / 'images' / 'RGB' / f'{name}.tif').astype(float))
        sar.append(read_image(city / 'images' / 'SAR' / f'{name}_SAR.tif').astype(float))
        label.append(read_image(city / 'masks' / f'{name}_mask.tif'))
    rgb, sar, label = np.concatenate(rgb), np.concatenate(sar), np.concatenate(label)

    def gap(image, code):  # class mean minus background mean, in background std units
        return np.abs(image[label == code].mean(0) - image[label == 1].mean(0)).max() / \
            image[label == 1].std()

    # Building and Road: clear in SAR only; Water and Forest: clear in RGB only.
    for code in (2, 3):
        assert gap(sar, code) > 1 and gap(rgb, code) < 0.5
    for code in (4, 6):
        assert gap(rgb, code) > 2 and gap(sar, code) < 0.2
