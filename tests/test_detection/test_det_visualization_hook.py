"""Drawings of MultiModalDetVisualizationHook: which bands, which stretch."""
import numpy as np
import pytest

from mars.datasets.synthetic_det import make_synthetic_sardet, make_synthetic_ubcv2
from mars.datasets.transforms import read_image
from mars.engine.hooks import MultiModalDetVisualizationHook, modality_display, sar_to_uint8


def _merge_meta(root, mask=(True, True)):
    path = str(root / 'train' / 'merge' / 'P0001.tif')
    return dict(img_path=path, modalities=('rgb', 'sar'), modality_channels=(3, 1),
                modality_mask=mask, modality_paths=dict(rgb=path, sar=path))


def test_merge_file_shows_rgb_bands_or_sar_in_db(tmp_path):
    make_synthetic_ubcv2(tmp_path, splits=dict(train=1))
    rgb = read_image(tmp_path / 'train' / 'rgb' / 'P0001.tif')
    sar = read_image(tmp_path / 'train' / 'sar' / 'P0001.tif')
    np.testing.assert_array_equal(modality_display(_merge_meta(tmp_path)), rgb)
    expected_sar = np.repeat(sar_to_uint8(sar)[..., None], 3, axis=2)
    np.testing.assert_array_equal(modality_display(_merge_meta(tmp_path), 'sar'), expected_sar)
    # RGB missing: the SAR band is drawn whatever was asked for.
    np.testing.assert_array_equal(
        modality_display(_merge_meta(tmp_path, (False, True)), 'rgb'), expected_sar)


def test_single_sar_image_in_db(tmp_path):
    make_synthetic_sardet(tmp_path, splits=dict(val=2))
    path = str(tmp_path / 'JPEGImages' / 'val' / 'val_0001.bmp')
    shown = modality_display(dict(img_path=path), 'sar')
    assert shown.shape == (96, 128, 3) and shown.dtype == np.uint8
    np.testing.assert_array_equal(shown[..., 0], sar_to_uint8(read_image(path)[..., 0]))
    np.testing.assert_array_equal(modality_display(dict(img_path=path)), read_image(path))


def test_hook_rejects_unknown_modality():
    with pytest.raises(ValueError, match="'rgb' or 'sar'"):
        MultiModalDetVisualizationHook(modality='nir')
