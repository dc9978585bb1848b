"""read_image / LoadRSImageFromFile (TIFF layouts, colour order, errors) and RandomRot90."""
import cv2
import numpy as np
import pytest
import tifffile

from mars.datasets.transforms import LoadRSImageFromFile, RandomRot90, read_image


def ramp(shape, dtype=np.uint16):
    """Distinct values everywhere, so a transposed or reordered read cannot pass."""
    return (np.arange(np.prod(shape)) * 7 % 65521).reshape(shape).astype(dtype)


@pytest.mark.parametrize('shape', [(20, 24), (20, 24, 4)])
@pytest.mark.parametrize('compression', [None, 'zlib', 'lzw'])
def test_read_tiff_keeps_shape_and_dtype(tmp_path, shape, compression):
    data = ramp(shape)
    path = tmp_path / 'img.tif'
    tifffile.imwrite(path, data, compression=compression, photometric='minisblack')
    img = read_image(path)
    assert img.dtype == np.uint16
    np.testing.assert_array_equal(img, data)


def test_read_tiled_tiff_with_predictor(tmp_path):
    data = ramp((64, 48, 3), np.uint8)
    path = tmp_path / 'img.tiff'
    tifffile.imwrite(path, data, compression='zlib', predictor=True, tile=(16, 16),
                     photometric='rgb')
    np.testing.assert_array_equal(read_image(path), data)


def test_read_band_first_tiff_returns_band_last(tmp_path):
    data = ramp((3, 20, 24))
    path = tmp_path / 'planar.tif'
    tifffile.imwrite(path, data, photometric='minisblack', planarconfig='separate')
    np.testing.assert_array_equal(read_image(path), data.transpose(1, 2, 0))


def test_load_transform_colour_order_and_channels(tmp_path):
    rgb = ramp((8, 10, 3), np.uint8)
    path = tmp_path / 'rgb.tif'
    tifffile.imwrite(path, rgb, photometric='rgb')
    results = LoadRSImageFromFile(channels=3)(dict(img_path=str(path)))
    np.testing.assert_array_equal(results['img'], rgb[..., ::-1])  # BGR, like mmseg
    assert results['img_shape'] == results['ori_shape'] == (8, 10)
    results = LoadRSImageFromFile(channel_order='rgb', to_float32=True)(
        dict(img_path=str(path)))
    assert results['img'].dtype == np.float32
    np.testing.assert_array_equal(results['img'], rgb)
    with pytest.raises(ValueError, match=r'rgb\.tif.*3 channels.*expected 1'):
        LoadRSImageFromFile(channels=1)(dict(img_path=str(path)))


def test_read_png_keeps_file_order_and_depth(tmp_path):
    rgb = ramp((8, 10, 3), np.uint8)
    cv2.imwrite(str(tmp_path / 'rgb.png'), rgb[..., ::-1])
    np.testing.assert_array_equal(read_image(tmp_path / 'rgb.png'), rgb)
    grey16 = ramp((8, 10))
    cv2.imwrite(str(tmp_path / 'grey16.png'), grey16)
    img = read_image(tmp_path / 'grey16.png')
    assert img.dtype == np.uint16
    np.testing.assert_array_equal(img, grey16)


def test_read_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='absent.tif'):
        read_image(tmp_path / 'absent.tif')
    (tmp_path / 'broken.tif').write_bytes(b'II*\x00garbage')
    with pytest.raises(ValueError, match='broken.tif'):
        read_image(tmp_path / 'broken.tif')
    (tmp_path / 'empty.png').write_bytes(b'')
    with pytest.raises(ValueError, match='empty.png'):
        read_image(tmp_path / 'empty.png')


def rotation_sample(marker=(1, 2)):
    """A non-square 4-channel image and label with one marker pixel at ``marker``."""
    img = np.zeros((5, 7, 4), np.uint8)
    label = np.zeros((5, 7), np.uint8)
    img[marker] = (10, 20, 30, 40)
    label[marker] = 1
    return dict(img=img, gt_seg_map=label, img_shape=(5, 7), seg_fields=['gt_seg_map'])


def test_rot90_keeps_image_and_label_aligned():
    transform = RandomRot90(prob=1.0)
    seen = set()
    for seed in range(20):
        np.random.seed(seed)
        results = transform(rotation_sample())
        k = results['rot90_k']
        seen.add(k)
        img, label = results['img'], results['gt_seg_map']
        assert img.shape[:2] == label.shape == results['img_shape']
        assert img.shape[:2] == ((7, 5) if k % 2 else (5, 7))
        # The marker moved to the same place in every channel and in the label.
        (row, col), = np.argwhere(label == 1)
        assert tuple(img[row, col]) == (10, 20, 30, 40)
        assert np.count_nonzero(img) == 4
        np.testing.assert_array_equal(np.rot90(img, -k), rotation_sample()['img'])
    assert seen == {1, 2, 3}


def test_rot90_prob_zero_and_boxes():
    results = RandomRot90(prob=0.0)(rotation_sample())
    assert results['rot90_k'] == 0
    np.testing.assert_array_equal(results['img'], rotation_sample()['img'])
    with pytest.raises(NotImplementedError, match='gt_bboxes'):
        RandomRot90(prob=1.0)(dict(rotation_sample(), gt_bboxes=np.zeros((0, 4))))
