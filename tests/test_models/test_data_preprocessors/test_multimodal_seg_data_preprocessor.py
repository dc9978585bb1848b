import pytest
import torch
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

MODALITIES = dict(rgb=dict(mean=[10., 20., 30.], std=[2., 4., 5.]),
                  sar=dict(mean=[100.], std=[50.]))


def build(**kwargs):
    return MODELS.build(dict(type='MultiModalSegDataPreProcessor', modalities=MODALITIES,
                             **kwargs))


def sample(mask=None):
    meta = dict(img_path='city/images/RGB/a.tif', img_shape=(8, 8), ori_shape=(8, 8))
    if mask is not None:
        meta.update(modalities=('rgb', 'sar'), modality_channels=(3, 1), modality_mask=mask)
    return SegDataSample(metainfo=meta)


def image(value=200):
    return torch.full((4, 8, 8), value, dtype=torch.uint8)


def test_each_modality_is_normalised_with_its_own_statistics():
    out = build()(dict(inputs=[image()], data_samples=[sample()]))
    pixel = out['inputs'][0, :, 0, 0]
    assert torch.allclose(pixel, torch.tensor([95., 45., 34., 2.]))
    assert out['data_samples'][0].modality_mask == (True, True)
    assert out['data_samples'][0].modality_channels == (3, 1)


def test_missing_modality_is_zero_after_normalisation():
    out = build()(dict(inputs=[image(), image()],
                       data_samples=[sample((True, False)), sample((False, True))]))
    inputs = out['inputs']
    assert (inputs[0, 3] == 0).all() and (inputs[0, :3] != 0).all()
    assert (inputs[1, :3] == 0).all() and (inputs[1, 3] == 2).all()


def test_available_modalities_forces_a_pattern_at_run_time():
    preprocessor = build()
    preprocessor.available_modalities = ('rgb', )
    out = preprocessor(dict(inputs=[image()], data_samples=[sample((True, True))]))
    assert out['data_samples'][0].modality_mask == (True, False)
    assert (out['inputs'][0, 3] == 0).all()
    preprocessor.available_modalities = 'sar'
    out = preprocessor(dict(inputs=[image()], data_samples=[sample((True, True))]))
    assert out['data_samples'][0].modality_mask == (False, True)
    assert (out['inputs'][0, :3] == 0).all()
    with pytest.raises(ValueError, match=r'no modality present'):
        preprocessor(dict(inputs=[image()], data_samples=[sample((True, False))]))
    with pytest.raises(ValueError, match='non-empty subset'):
        preprocessor.available_modalities = ('optical', )


def test_training_pads_inputs_with_zero_and_labels_with_255():
    data_sample = sample()
    data_sample.gt_sem_seg = PixelData(data=torch.zeros(1, 8, 8, dtype=torch.long))
    out = build(size=(16, 16))(dict(inputs=[image()], data_samples=[data_sample]),
                               training=True)
    assert out['inputs'].shape == (1, 4, 16, 16)
    assert (out['inputs'][0, :, 8:, 8:] == 0).all()
    assert (out['data_samples'][0].gt_sem_seg.data[:, 8:, 8:] == 255).all()


def test_norm_spec_is_plain_lists_for_checkpoint_meta():
    assert build().norm_spec() == {
        'rgb': {'mean': [10., 20., 30.], 'std': [2., 4., 5.]},
        'sar': {'mean': [100.], 'std': [50.]}}


def test_wrong_channel_count_and_bad_config_are_reported():
    with pytest.raises(ValueError, match=r'expects \[4, H, W\].*rgb 3 \+ sar 1.*\(3, 8, 8\)'):
        build()(dict(inputs=[torch.zeros(3, 8, 8)], data_samples=[sample()]))
    with pytest.raises(ValueError, match=r'modalities.sar: mean has 1 values and std 2'):
        MODELS.build(dict(type='MultiModalSegDataPreProcessor', modalities=dict(
            sar=dict(mean=[1.], std=[1., 2.]))))
    bad = sample((True, True))
    bad.set_metainfo(dict(modalities=('sar', 'rgb')))
    with pytest.raises(ValueError, match=r'a\.tif: metainfo modalities \(.sar., .rgb.\)'):
        build()(dict(inputs=[image()], data_samples=[bad]))
