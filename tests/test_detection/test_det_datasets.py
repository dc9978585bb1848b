"""SARDetDataset / UBCV2Dataset: category mapping by name, layouts, bad inputs."""
import json
import os

import numpy as np
import pytest
import tifffile
from mmdet.datasets import CocoDataset

from mars.datasets import SARDET_CLASSES, UBCV2_FINE_CLASSES, SARDetDataset, UBCV2Dataset
from mars.testing.synthetic_det import make_synthetic_sardet, make_synthetic_ubcv2
from mars.datasets.transforms import LoadMergedModalities, LoadMultiModalImages

# Scoped names: earlier tests may leave mmseg as the default scope (another LoadAnnotations).
LOAD = [dict(type='mmdet.LoadImageFromFile'), dict(type='mmdet.LoadAnnotations', with_bbox=True)]


def _sardet(root, split='train', **kwargs):
    return SARDetDataset(data_root=str(root), ann_file=f'Annotations/{split}.json',
                         data_prefix=dict(img=f'JPEGImages/{split}/'), **kwargs)


def _labels_by_name(ann_file, classes):
    """Label of every annotation (by id) from the json's category *names*."""
    with open(ann_file) as f:
        coco = json.load(f)
    names = {c['id']: c['name'] for c in coco['categories']}
    return {a['id']: classes.index(names[a['category_id']]) for a in coco['annotations']}


def _dataset_labels(dataset):
    return [inst['bbox_label'] for i in range(len(dataset))
            for inst in dataset.get_data_info(i)['instances']]


def test_sardet_maps_shuffled_category_ids_by_name(tmp_path):
    files = make_synthetic_sardet(tmp_path, splits=dict(train=6), shuffle_category_ids=True)
    with open(files['train']) as f:
        categories = json.load(f)['categories']
    # The fixture really is shuffled: json order and ids differ from the class order.
    assert [c['name'] for c in categories] != list(SARDET_CLASSES)
    expected = list(_labels_by_name(files['train'], SARDET_CLASSES).values())
    dataset = _sardet(tmp_path)
    assert dataset.metainfo['classes'] == SARDET_CLASSES
    assert _dataset_labels(dataset) == expected
    # mmdet's CocoDataset follows the json order and gets these labels wrong.
    plain = CocoDataset(data_root=str(tmp_path), ann_file='Annotations/train.json',
                        data_prefix=dict(img='JPEGImages/train/'),
                        metainfo=dict(classes=SARDET_CLASSES))
    assert _dataset_labels(plain) != expected


def test_sardet_class_subset_in_another_order(tmp_path):
    files = make_synthetic_sardet(tmp_path, splits=dict(train=4), shuffle_category_ids=True)
    classes = ('aircraft', 'ship')
    dataset = _sardet(tmp_path, metainfo=dict(classes=classes))
    assert _dataset_labels(dataset) == list(_labels_by_name(files['train'], classes).values())


def test_sardet_mixed_formats_and_sizes_load(tmp_path):
    make_synthetic_sardet(tmp_path, splits=dict(val=3))
    dataset = _sardet(tmp_path, 'val', pipeline=LOAD, test_mode=True)
    shapes = {}
    for i in range(len(dataset)):
        sample = dataset[i]
        shapes[os.path.splitext(sample['img_path'])[1]] = sample['img'].shape
        assert sample['gt_bboxes'].shape[0] == len(sample['gt_bboxes_labels']) >= 1
    assert shapes == {'.jpg': (128, 128, 3), '.bmp': (96, 128, 3), '.png': (128, 96, 3)}


def test_sardet_missing_image_names_json_and_file(tmp_path):
    make_synthetic_sardet(tmp_path, splits=dict(train=3))
    missing = tmp_path / 'JPEGImages' / 'train' / 'train_0001.bmp'
    missing.unlink()
    with pytest.raises(FileNotFoundError, match=r'train\.json.*train_0001\.bmp'):
        _sardet(tmp_path)


def test_sardet_unknown_class_names_the_file(tmp_path):
    make_synthetic_sardet(tmp_path, splits=dict(train=2))
    with pytest.raises(ValueError, match=r"train\.json.*\['boat'\]"):
        _sardet(tmp_path, metainfo=dict(classes=('ship', 'boat')))


def _ubcv2(root, fine=False, **kwargs):
    kwargs.setdefault('data_prefix', dict(img='train/merge/'))
    if fine:
        kwargs['metainfo'] = dict(classes=UBCV2_FINE_CLASSES)
    return UBCV2Dataset(
        data_root=str(root),
        ann_file=f'annotations/roof_{"fine" if fine else "single"}_train.json', **kwargs)


def test_ubcv2_merge_and_pairs_give_the_same_stack(ubcv2_root):
    merge = _ubcv2(ubcv2_root, pipeline=[LoadMergedModalities()])
    pairs = _ubcv2(ubcv2_root, pipeline=[LoadMultiModalImages()],
                   paired_modalities=('rgb', 'sar'),
                   data_prefix=dict(img='train/rgb/', rgb='train/rgb/', sar='train/sar/'))
    a, b = merge[0], pairs[0]
    assert a['img'].shape == (64, 64, 4) and a['img'].dtype == np.float32
    np.testing.assert_array_equal(a['img'], b['img'])
    for key in ('modalities', 'modality_channels', 'modality_mask'):
        assert a[key] == b[key]
    assert a['modality_paths']['sar'].endswith(os.path.join('train', 'merge', 'P0001.tif'))
    assert b['modality_paths']['sar'].endswith(os.path.join('train', 'sar', 'P0001.tif'))


def test_ubcv2_band_order_reproduces_a_bgr_read(ubcv2_root):
    plain = _ubcv2(ubcv2_root, pipeline=[LoadMergedModalities()])[0]['img']
    swapped = _ubcv2(ubcv2_root, pipeline=[LoadMergedModalities(band_order=(2, 1, 0, 3))])
    np.testing.assert_array_equal(swapped[0]['img'], plain[..., [2, 1, 0, 3]])
    with pytest.raises(ValueError, match=r'band_order=\(0, 1, 2\) must be a permutation'):
        LoadMergedModalities(band_order=(0, 1, 2))


def test_ubcv2_single_and_fine_labels(ubcv2_root):
    single = _ubcv2(ubcv2_root)
    assert single.metainfo['classes'] == ('building', )
    assert set(_dataset_labels(single)) == {0}
    fine = _ubcv2(ubcv2_root, fine=True)
    expected = _labels_by_name(ubcv2_root / 'annotations' / 'roof_fine_train.json',
                               UBCV2_FINE_CLASSES)
    assert _dataset_labels(fine) == list(expected.values())
    assert set(expected.values()) == {0, 1}  # flat and gable roofs, shuffled ids
    # Polygon masks come through for Mask R-CNN.
    assert fine.get_data_info(0)['instances'][0]['mask']


def test_ubcv2_three_band_merge_file_is_refused(tmp_path):
    make_synthetic_ubcv2(tmp_path, splits=dict(train=2))
    bad = tmp_path / 'train' / 'merge' / 'P0002.tif'
    tifffile.imwrite(bad, tifffile.imread(bad)[..., :3])
    dataset = _ubcv2(tmp_path, fine=True, pipeline=[LoadMergedModalities()])
    dataset[0]
    message = r'P0002\.tif has 3 band\(s\).*expected 4 \(rgb 3 \+ sar 1\)'
    with pytest.raises(ValueError, match=message):
        dataset[1]


def test_ubcv2_paired_modality_needs_prefix_and_file(tmp_path):
    make_synthetic_ubcv2(tmp_path, splits=dict(train=2))
    with pytest.raises(KeyError, match='sar'):
        _ubcv2(tmp_path, fine=True, paired_modalities=('rgb', 'sar'),
               data_prefix=dict(img='train/rgb/', rgb='train/rgb/'))
    (tmp_path / 'train' / 'sar' / 'P0001.tif').unlink()
    with pytest.raises(FileNotFoundError, match=r'sar.P0001\.tif'):
        _ubcv2(tmp_path, fine=True, paired_modalities=('rgb', 'sar'),
               data_prefix=dict(img='train/rgb/', rgb='train/rgb/', sar='train/sar/'))


def test_merge_file_with_nan_sar_names_the_file(tmp_path):
    path = tmp_path / 'P0001.tif'
    merged = np.ones((32, 32, 4), np.float32)
    merged[5, 5, 3] = np.nan
    tifffile.imwrite(path, merged, photometric='minisblack', planarconfig='contig')
    with pytest.raises(ValueError, match=r'P0001\.tif has non-finite'):
        LoadMergedModalities()(dict(img_path=str(path)))
    merged[5, 5, 3] = 2.5
    tifffile.imwrite(path, merged, photometric='minisblack', planarconfig='contig')
    results = LoadMergedModalities()(dict(img_path=str(path)))
    assert results['img'][5, 5].tolist() == [1, 1, 1, 2.5]
    assert results['modality_paths'] == dict(rgb=str(path), sar=str(path))
