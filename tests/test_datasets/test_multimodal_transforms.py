"""Multi-modal loading, modality-aware transforms, geometric alignment and packing."""
import cv2
import numpy as np
import pytest
import tifffile
from mmengine.registry import DefaultScope
from mmseg.registry import TRANSFORMS

from mars.datasets.transforms import (DropModalities, LoadMultiModalImages,
                                      LoadRSAnnotations, ModalitySliceTransform,
                                      PackMultiModalSegInputs, RandomRot90, SARLogTransform,
                                      SARPercentileClip)
from mars.utils.modalities import stack_float32


@pytest.fixture(autouse=True)
def mmseg_scope():
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


def write_tif(path, array):
    rgb = array.ndim == 3 and array.shape[2] == 3
    tifffile.imwrite(path, array, photometric='rgb' if rgb else 'minisblack')
    return str(path)


def write_pair(tmp_path, rgb, sar):
    """RGB and SAR TIFFs; returns the ``modality_paths`` dict."""
    return dict(rgb=write_tif(tmp_path / 'a.tif', rgb), sar=write_tif(tmp_path / 'a_SAR.tif', sar))


def ramp(shape, dtype=np.uint8, mod=251):
    return (np.arange(np.prod(shape)) * 7 % mod).reshape(shape).astype(dtype)


def stack_sample(img, label=None):
    """Result dict of a ready RGB + SAR float32 stack (as LoadMultiModalImages leaves it)."""
    results = dict(img=img.astype(np.float32), img_shape=img.shape[:2], ori_shape=img.shape[:2],
                   modalities=('rgb', 'sar'), modality_channels=(3, 1),
                   modality_mask=(True, True), img_path='a.tif', seg_fields=[],
                   modality_paths=dict(rgb='a.tif', sar='a_SAR.tif'))
    if label is not None:
        results['gt_seg_map'] = label
        results['seg_fields'] = ['gt_seg_map']
    return results


# --- loading ------------------------------------------------------------------------------


def test_load_stacks_modalities_in_declared_order(tmp_path):
    rgb, sar = ramp((6, 8, 3)), ramp((6, 8), np.uint16, 65521) * 9
    paths = write_pair(tmp_path, rgb, sar)
    results = LoadMultiModalImages()(dict(modality_paths=paths))
    img = results['img']
    assert img.dtype == np.float32 and img.shape == (6, 8, 4)
    np.testing.assert_array_equal(img[..., :3], rgb)  # R, G, B: not BGR
    np.testing.assert_array_equal(img[..., 3], sar)  # uint16 values exact in float32
    assert results['modalities'] == ('rgb', 'sar')
    assert results['modality_channels'] == (3, 1)
    assert results['modality_mask'] == (True, True)
    assert results['img_shape'] == results['ori_shape'] == (6, 8)
    assert results['img_path'] == paths['rgb']
    assert results['modality_paths'] == paths
    # The declared order, not the dict order, decides the stacking.
    results = LoadMultiModalImages(modalities=('sar', 'rgb'))(dict(modality_paths=paths))
    np.testing.assert_array_equal(results['img'][..., 0], sar)
    np.testing.assert_array_equal(results['img'][..., 1:], rgb)


def test_load_png_rgb_stays_rgb(tmp_path):
    rgb = ramp((6, 8, 3))
    cv2.imwrite(str(tmp_path / 'a.png'), rgb[..., ::-1])
    paths = dict(rgb=str(tmp_path / 'a.png'), sar=write_tif(tmp_path / 's.tif', ramp((6, 8))))
    results = LoadMultiModalImages()(dict(modality_paths=paths))
    np.testing.assert_array_equal(results['img'][..., :3], rgb)


def test_load_errors_name_the_files(tmp_path):
    paths = write_pair(tmp_path, ramp((6, 8, 3)), ramp((6, 9)))
    with pytest.raises(ValueError, match=r'a\.tif is 6x8 but sar file .*a_SAR\.tif is 6x9'):
        LoadMultiModalImages()(dict(modality_paths=paths))
    paths = write_pair(tmp_path, ramp((6, 8, 3)), ramp((6, 8, 2)))
    with pytest.raises(ValueError, match=r'a_SAR\.tif has 2 channel\(s\).*expected 1'):
        LoadMultiModalImages()(dict(modality_paths=paths))
    sar = np.ones((6, 8), np.float32)
    sar[2, 3] = np.nan
    paths = write_pair(tmp_path, ramp((6, 8, 3)), sar)
    with pytest.raises(ValueError, match=r'a_SAR\.tif has 1 non-finite'):
        LoadMultiModalImages()(dict(modality_paths=paths))
    paths['sar'] = str(tmp_path / 'absent_SAR.tif')
    with pytest.raises(FileNotFoundError, match='absent_SAR.tif'):
        LoadMultiModalImages()(dict(modality_paths=paths))


@pytest.mark.parametrize('how', ['none', 'absent_file'])
def test_missing_sar_is_zero_and_masked(tmp_path, how):
    rgb = ramp((6, 8, 3))
    paths = dict(rgb=write_tif(tmp_path / 'a.tif', rgb),
                 sar=None if how == 'none' else str(tmp_path / 'absent_SAR.tif'))
    results = LoadMultiModalImages(allow_missing=True)(dict(modality_paths=paths))
    assert results['modality_mask'] == (True, False)
    assert results['img'].shape == (6, 8, 4)
    np.testing.assert_array_equal(results['img'][..., 3], 0)
    np.testing.assert_array_equal(results['img'][..., :3], rgb)
    # Only RGB missing: the image path falls back to the first present modality.
    paths = dict(rgb=None, sar=write_tif(tmp_path / 's.tif', ramp((6, 8))))
    results = LoadMultiModalImages()(dict(modality_paths=paths))
    assert results['modality_mask'] == (False, True)
    assert results['img_path'] == paths['sar']
    with pytest.raises(FileNotFoundError, match='no modality'):
        LoadMultiModalImages()(dict(modality_paths=dict(rgb=None, sar=None)))


# --- geometric transforms move every modality and the label together ----------------------


def position_sample(height=40, width=48):
    """Every pixel encodes its position: R=y, G=x, B=7, SAR=y*width+x, label=(y+x)%8."""
    y, x = np.mgrid[:height, :width]
    img = np.stack([y, x, np.full_like(y, 7), y * width + x], axis=-1)
    return stack_sample(img, ((y + x) % 8).astype(np.uint8)), width


def assert_aligned(results, width):
    img, label = results['img'], results['gt_seg_map']
    assert img.shape[:2] == label.shape == tuple(results['img_shape'])
    r, g = img[..., 0], img[..., 1]
    np.testing.assert_array_equal(img[..., 2], 7)
    np.testing.assert_array_equal(img[..., 3], r * width + g)
    np.testing.assert_array_equal(label, (r + g) % 8)


@pytest.mark.parametrize('cfg', [
    dict(type='RandomCrop', crop_size=(24, 16), cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=1.0, direction=['horizontal', 'vertical', 'diagonal']),
    dict(type='RandomRot90', prob=1.0),
])
def test_geometric_transforms_keep_modalities_aligned(cfg):
    transform = TRANSFORMS.build(cfg)
    for seed in range(6):
        np.random.seed(seed)
        results, width = position_sample()
        results = transform(results)
        assert results['img'].dtype == np.float32 and results['img'].shape[2] == 4
        assert_aligned(results, width)
    assert isinstance(TRANSFORMS.build(dict(type='RandomRot90')), RandomRot90)


@pytest.mark.parametrize('cfg', [
    dict(type='Resize', scale=(96, 80), keep_ratio=False),
    dict(type='RandomResize', scale=(96, 80), ratio_range=(0.5, 2.0), keep_ratio=True),
])
def test_resize_four_channels_keeps_marker_aligned(cfg):
    # Resizing interpolates, so check a marker block rather than exact positions.
    img = np.zeros((40, 48, 4), np.float32)
    label = np.zeros((40, 48), np.uint8)
    img[8:24, 16:40] = (200, 100, 50, 1000)
    label[8:24, 16:40] = 3
    np.random.seed(0)
    results = TRANSFORMS.build(cfg)(stack_sample(img, label))
    out, out_label = results['img'], results['gt_seg_map']
    assert out.dtype == np.float32 and out.shape[2] == 4
    assert out.shape[:2] == out_label.shape == tuple(results['img_shape'])
    in_label = out_label == 3
    for channel, value in enumerate((200, 100, 50, 1000)):
        in_channel = out[..., channel] > value / 2
        iou = (in_label & in_channel).sum() / (in_label | in_channel).sum()
        assert iou > 0.9, (channel, iou)


def test_sar_transforms_accept_single_channel_stack_after_resize():
    # OpenCV drops a lone trailing channel; SAR-only stacks must survive that.
    results = dict(stack_sample(np.ones((8, 8, 4))), modalities=('sar', ),
                   modality_channels=(1, ), modality_mask=(True, ))
    results['img'] = results['img'][..., 3]
    results = TRANSFORMS.build(dict(type='Resize', scale=(16, 16)))(results)
    results = SARLogTransform(mode='log')(results)
    assert results['img'].shape == (16, 16, 1)


# --- photometric on optical channels only ---------------------------------------------------


def photometric(**kwargs):
    return ModalitySliceTransform(
        modality='rgb', transforms=[dict(type='PhotoMetricDistortion', **kwargs)])


def test_photometric_changes_rgb_and_leaves_sar_bit_identical():
    rng = np.random.default_rng(0)
    img = np.concatenate([rng.integers(0, 256, (16, 16, 3)),
                          rng.gamma(1, 900, (16, 16, 1)) - 3.3], axis=-1)
    transform = photometric()
    changed = 0
    for seed in range(8):
        np.random.seed(seed)
        results = transform(stack_sample(img))
        assert results['img'].dtype == np.float32 and results['img'].shape == (16, 16, 4)
        np.testing.assert_array_equal(results['img'][..., 3], img[..., 3].astype(np.float32))
        changed += not np.array_equal(results['img'][..., :3], img[..., :3])
    assert changed >= 4


def test_slice_transform_rules():
    assert ModalitySliceTransform(
        transforms=[dict(type='PhotoMetricDistortion')]).slice_dtype == 'uint8'  # 'auto'
    assert ModalitySliceTransform(transforms=[dict(type='RGB2Gray')]).slice_dtype is None
    with pytest.raises(ValueError, match="slice_dtype='uint8'"):
        ModalitySliceTransform(transforms=[dict(type='PhotoMetricDistortion')],
                               slice_dtype=None)
    with pytest.raises(ValueError, match=r'a\.tif range over .*300'):
        photometric()(stack_sample(np.full((4, 4, 4), 300)))
    # A missing modality stays zeros.
    results = dict(stack_sample(np.zeros((4, 4, 4))), modality_mask=(False, True))
    np.random.seed(0)
    results = photometric(brightness_delta=100)(results)
    np.testing.assert_array_equal(results['img'], 0)
    # Geometric transforms belong outside: a size change is refused.
    resize = ModalitySliceTransform(transforms=[dict(type='Resize', scale=(8, 8))])
    with pytest.raises(ValueError, match='keep the slice shape'):
        resize(stack_sample(np.zeros((4, 4, 4))))
    with pytest.raises(KeyError, match='LoadMultiModalImages'):
        photometric()(dict(img=np.zeros((4, 4, 3), np.uint8)))


# --- SAR transforms -------------------------------------------------------------------------


def sar_sample(values):
    img = np.zeros((1, len(values), 4), np.float32)
    img[..., :3] = 77
    img[0, :, 3] = values
    return stack_sample(img)


def test_sar_log_transform_db_and_log():
    results = SARLogTransform(eps=1e-6)(sar_sample([0, 1, 10, 100]))
    np.testing.assert_allclose(results['img'][0, :, 3], [-60, 0, 10, 20], atol=1e-4)
    np.testing.assert_array_equal(results['img'][..., :3], 77)
    results = SARLogTransform(mode='log')(sar_sample([0, 1, 10]))
    np.testing.assert_allclose(results['img'][0, :, 3], np.log1p([0, 1, 10]), rtol=1e-6)
    with pytest.raises(ValueError, match=r'a_SAR\.tif have negative'):
        SARLogTransform()(sar_sample([-1, 2]))
    missing = dict(sar_sample([0, 0]), modality_mask=(True, False))
    np.testing.assert_array_equal(SARLogTransform()(missing)['img'][..., 3], 0)


def test_sar_percentile_clip():
    values = np.r_[np.arange(100.0), 1e6]
    low, high = np.percentile(values, (1, 99))
    results = SARPercentileClip(rescale=False)(sar_sample(values))
    np.testing.assert_allclose(results['img'][0, :, 3], np.clip(values, low, high), rtol=1e-6)
    results = SARPercentileClip(low=1, high=99)(sar_sample(values))
    sar = results['img'][0, :, 3]
    np.testing.assert_allclose([sar.min(), sar.max()], [0, 255], rtol=1e-5)
    np.testing.assert_allclose(sar, (np.clip(values, low, high) - low) * 255 / (high - low),
                               rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(results['img'][..., :3], 77)
    constant = SARPercentileClip()(sar_sample([5.0] * 10))
    np.testing.assert_array_equal(constant['img'][..., 3], 0)


# --- dropping modalities, labels, packing ---------------------------------------------------


def test_drop_modalities():
    results = DropModalities(drop=('sar', ))(stack_sample(np.ones((4, 4, 4))))
    assert results['modality_mask'] == (True, False)
    np.testing.assert_array_equal(results['img'][..., 3], 0)
    np.testing.assert_array_equal(results['img'][..., :3], 1)
    with pytest.raises(ValueError, match='no modality'):
        DropModalities(drop=('rgb', 'sar'))(stack_sample(np.ones((4, 4, 4))))
    # Random dropout never removes the last present modality.
    for seed in range(10):
        np.random.seed(seed)
        out = DropModalities(drop=('rgb', 'sar'), prob=0.9)(stack_sample(np.ones((4, 4, 4))))
        assert any(out['modality_mask'])


def test_load_rs_annotations(tmp_path):
    label = np.array([[0, 1, 2], [8, 255, 3]], np.uint8)
    path = write_tif(tmp_path / 'a_mask.tif', label)
    results = LoadRSAnnotations()(dict(seg_map_path=path, reduce_zero_label=True))
    np.testing.assert_array_equal(results['gt_seg_map'], [[255, 0, 1], [7, 255, 2]])
    assert results['seg_fields'] == ['gt_seg_map']
    results = LoadRSAnnotations()(dict(seg_map_path=path, reduce_zero_label=False))
    np.testing.assert_array_equal(results['gt_seg_map'], label)
    with pytest.raises(ValueError, match=r'a_mask\.tif is 2x3 but its image b\.tif is 4x4'):
        LoadRSAnnotations()(dict(seg_map_path=path, reduce_zero_label=True, img_path='b.tif',
                                 img=np.zeros((4, 4, 4), np.float32)))
    with pytest.raises(ValueError, match=r'b_mask\.tif has shape .*one band'):
        LoadRSAnnotations()(dict(seg_map_path=write_tif(tmp_path / 'b_mask.tif',
                                                        ramp((4, 4, 3)))))
    with pytest.raises(ValueError, match='disagrees'):
        LoadRSAnnotations(reduce_zero_label=False)(
            dict(seg_map_path=path, reduce_zero_label=True))


def test_pack_multimodal_seg_inputs():
    results, _ = position_sample(8, 6)
    results['modality_mask'] = (True, False)
    packed = PackMultiModalSegInputs()(results)
    assert packed['inputs'].shape == (4, 8, 6)
    assert packed['inputs'].dtype.is_floating_point
    meta = packed['data_samples'].metainfo
    assert meta['modality_mask'] == (True, False)
    assert meta['modalities'] == ('rgb', 'sar') and meta['modality_channels'] == (3, 1)
    assert meta['img_shape'] == (8, 6)
    assert packed['data_samples'].gt_sem_seg.data.shape == (1, 8, 6)


@pytest.mark.parametrize('dtypes', [(np.uint8, np.uint8), (np.uint8, np.uint16),
                                    (np.uint16, np.float32), (np.uint8, np.uint32),
                                    (np.int16, np.float64)])
def test_stack_float32_matches_numpy(dtypes):
    rng = np.random.default_rng(0)
    parts = [(rng.random((5, 7, c)) * 250).astype(d) for c, d in zip((3, 2), dtypes)]
    out = stack_float32(parts)
    assert out.dtype == np.float32 and out.shape == (5, 7, 5) and out.flags.c_contiguous
    np.testing.assert_array_equal(out, np.concatenate(parts, axis=2, dtype=np.float32))
