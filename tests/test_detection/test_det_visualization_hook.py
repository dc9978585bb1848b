"""Drawings of MultiModalDetVisualizationHook: which bands, which stretch."""
import numpy as np
import pytest

from mars.testing.synthetic_det import make_synthetic_sardet, make_synthetic_ubcv2
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
    with pytest.raises(ValueError, match="'rgb', 'sar' or 'both'"):
        MultiModalDetVisualizationHook(modality='nir')


def test_both_draws_instances_over_rgb_and_sar_panels(tmp_path):
    import torch
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmdet.visualization import DetLocalVisualizer
    from mmengine.structures import InstanceData

    make_synthetic_ubcv2(tmp_path, splits=dict(train=1))
    visualizer = DetLocalVisualizer.get_instance('test_both_panels')
    visualizer.dataset_meta = dict(classes=('building', ), palette=[(255, 0, 0)])
    hook = MultiModalDetVisualizationHook(modality='both', draw=True)
    hook._visualizer = visualizer
    sample = DetDataSample(metainfo=_merge_meta(tmp_path))
    mask = np.zeros((1, 64, 64), np.uint8)
    mask[0, 10:30, 10:40] = 1
    sample.gt_instances = InstanceData(bboxes=torch.tensor([[10., 10., 40., 30.]]),
                                       labels=torch.tensor([0]),
                                       masks=BitmapMasks(mask, 64, 64))
    sample.pred_instances = InstanceData(bboxes=torch.tensor([[10., 10., 40., 30.]]),
                                         labels=torch.tensor([0]), scores=torch.tensor([0.9]),
                                         masks=torch.from_numpy(mask.astype(bool)))
    out_file = tmp_path / 'drawn.png'
    hook._draw('both', sample, 0, str(out_file))
    drawn = mmcv_imread(out_file)
    assert drawn.shape == (128, 128, 3)  # [RGB; SAR] x [GT | prediction]
    plain = np.concatenate([modality_display(_merge_meta(tmp_path), m) for m in ('rgb', 'sar')])
    for column in (slice(0, 64), slice(64, 128)):
        changed = (drawn[:, column] != plain).any(-1)
        # Both panels carry the instance, and only around it.
        assert changed[10:30, 10:40].mean() > 0.5 and changed[74:94, 10:40].mean() > 0.5
        assert not changed[40:64].any() and not changed[104:].any()
    # The sample itself is left as it was.
    assert len(sample.pred_instances) == 1


def mmcv_imread(path):
    import mmcv
    return mmcv.imread(str(path), channel_order='rgb')
