"""DeepGlobeRoadDataset: file pairing, split files, errors naming files, full pipeline."""
import os

import cv2
import numpy as np
import pytest
from mmengine.registry import DefaultScope

from mars.datasets import DeepGlobeRoadDataset

IDS = ['100', '101', '102', '103']  # train ids written by the deepglobe_root fixture
TEST_IDS = ['900000', '900001']  # its test ids, in the same folder
PIPELINE = [
    dict(type='LoadRSImageFromFile', channels=3),
    dict(type='LoadDeepGlobeRoadMask'),
    dict(type='RandomRot90', prob=1.0),
    dict(type='PackSegInputs'),
]


@pytest.fixture(autouse=True)
def mmseg_scope():
    # Pipelines name transforms without a scope prefix, as configs with default_scope='mmseg'.
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


def build(root, pipeline=(), **kwargs):
    return DeepGlobeRoadDataset(
        data_root=str(root), data_prefix=dict(img_path='train'), pipeline=list(pipeline),
        **kwargs)


def test_lists_pairs_from_folder(deepglobe_root):
    dataset = build(deepglobe_root)
    assert len(dataset) == 6
    assert dataset.metainfo['classes'] == ('background', 'road')
    for tile_id, info in zip(IDS + TEST_IDS, (dataset.get_data_info(i) for i in range(6))):
        assert info['img_path'] == os.path.join(deepglobe_root, 'train', f'{tile_id}_sat.jpg')
        assert info['seg_map_path'] == os.path.join(
            deepglobe_root, 'train', f'{tile_id}_mask.png')
        assert info['reduce_zero_label'] is False


def test_lists_pairs_from_split_file(deepglobe_root):
    # The fixture's own split file, then one written in the other accepted line styles.
    assert len(build(deepglobe_root, ann_file='train.txt')) == 4
    (deepglobe_root / 'subset.txt').write_text('103_\n\n101_sat.jpg\n')
    dataset = build(deepglobe_root, ann_file='subset.txt')
    paths = [dataset.get_data_info(i)['seg_map_path'] for i in range(len(dataset))]
    assert [os.path.basename(p) for p in paths] == ['103_mask.png', '101_mask.png']


def test_missing_mask_names_file(deepglobe_root):
    missing = deepglobe_root / 'train' / '102_mask.png'
    missing.unlink()
    with pytest.raises(FileNotFoundError, match='102_mask.png'):
        build(deepglobe_root)
    with pytest.raises(FileNotFoundError, match='102_mask.png'):
        build(deepglobe_root, ann_file='train.txt')


def test_no_images_names_folder_and_suffix(tmp_path):
    (tmp_path / 'train').mkdir()
    with pytest.raises(FileNotFoundError, match=r'_sat\.jpg.*train|train.*_sat\.jpg'):
        build(tmp_path)


def test_missing_listed_image_names_file(deepglobe_root):
    (deepglobe_root / 'subset.txt').write_text('100\n999\n')
    with pytest.raises(FileNotFoundError, match='999_sat.jpg'):
        build(deepglobe_root, ann_file='subset.txt')


def test_corrupt_image_names_file(deepglobe_root):
    (deepglobe_root / 'train' / '100_sat.jpg').write_bytes(b'\xff\xd8 not really a jpeg')
    dataset = build(deepglobe_root, PIPELINE)
    with pytest.raises(ValueError, match='100_sat.jpg'):
        dataset[0]


def test_mask_size_mismatch_names_mask(deepglobe_root):
    cv2.imwrite(str(deepglobe_root / 'train' / '101_mask.png'), np.zeros((32, 64, 3), np.uint8))
    dataset = build(deepglobe_root, PIPELINE)
    with pytest.raises(ValueError, match='101_mask.png'):
        dataset[1]


def test_pipeline_yields_binary_labels(deepglobe_root):
    dataset = build(deepglobe_root, PIPELINE)
    for i in range(len(dataset)):
        packed = dataset[i]
        labels = packed['data_samples'].gt_sem_seg.data
        assert packed['inputs'].shape == (3, 64, 64)
        assert labels.shape == (1, 64, 64)
        assert set(labels.unique().tolist()) == {0, 1}
        # The synthetic roads cover roughly 5-15 % of a tile.
        assert 0.02 < labels.float().mean() < 0.25


def test_image_is_bgr_like_mmseg(deepglobe_root):
    # 3-channel images follow mmseg's LoadImageFromFile (BGR), for bgr_to_rgb=True configs.
    dataset = build(deepglobe_root, [dict(type='LoadRSImageFromFile')])
    img = dataset[0]['img']
    expected = cv2.imread(str(deepglobe_root / 'train' / '100_sat.jpg'), cv2.IMREAD_COLOR)
    np.testing.assert_array_equal(img, expected)
