"""MultiModalDetDataPreProcessor and MultiModalCascadeRCNN (tiny encoders)."""
import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.structures import InstanceData

from mars.engine.hooks import normalization_of

MODALITIES = dict(rgb=dict(mean=[10., 20., 30.], std=[2., 4., 5.]),
                  sar=dict(mean=[40.], std=[8.]))


def _sample(mask=(True, True), size=64):
    sample = DetDataSample(metainfo=dict(
        img_shape=(size, size), ori_shape=(size, size), scale_factor=(1., 1.), img_path='x.tif',
        modalities=('rgb', 'sar'), modality_channels=(3, 1), modality_mask=mask))
    mask = np.zeros((1, size, size), np.uint8)
    mask[0, 4:30, 4:30] = 1
    sample.gt_instances = InstanceData(bboxes=torch.tensor([[4., 4., 30., 30.]]),
                                       labels=torch.tensor([0]),
                                       masks=BitmapMasks(mask, size, size))
    return sample


def _preprocessor(**kwargs):
    return MODELS.build(dict(type='MultiModalDetDataPreProcessor', modalities=MODALITIES,
                             **kwargs))


def test_per_modality_normalisation_mask_and_padding():
    pre = _preprocessor()
    img = torch.stack([torch.full((60, 50), v) for v in (12., 28., 40., 56.)])
    out = pre(dict(inputs=[img, img.clone()], data_samples=[_sample(), _sample((True, False))]))
    inputs = out['inputs']
    assert inputs.shape == (2, 4, 64, 64)  # padded to a multiple of 32
    assert inputs[0, :, 0, 0].tolist() == [1., 2., 2., 2.]
    assert inputs[1, :, 0, 0].tolist() == [1., 2., 2., 0.]  # missing SAR: zeros
    assert inputs[0, :, 60:].abs().sum() == 0  # padding after normalisation
    assert out['data_samples'][1].modality_mask == (True, False)
    assert out['data_samples'][0].batch_input_shape == (64, 64)
    assert normalization_of(pre) == dict(rgb=dict(mean=[10., 20., 30.], std=[2., 4., 5.]),
                                         sar=dict(mean=[40.], std=[8.]))


def test_preprocessor_rejects_wrong_channels_and_plain_mean():
    pre = _preprocessor()
    with pytest.raises(ValueError, match=r'\[4, H, W\].*rgb 3 \+ sar 1'):
        pre(dict(inputs=[torch.zeros(3, 32, 32)], data_samples=[_sample()]))
    with pytest.raises(ValueError, match='mean'):
        _preprocessor(mean=[0., 0., 0.])


@pytest.fixture(scope='module')
def tiny_detector(det_configs):
    cfg = Config.fromfile(det_configs['ubcv2'])
    return MODELS.build(cfg.model).eval()


def test_detector_hands_the_modality_mask_to_the_backbone(tiny_detector):
    seen = []
    handle = tiny_detector.backbone.register_forward_hook(
        lambda module, args, kwargs, out: seen.append(kwargs.get('modality_mask')),
        with_kwargs=True)
    try:
        data = tiny_detector.data_preprocessor(dict(
            inputs=[torch.rand(4, 64, 64) * 255 for _ in range(2)],
            data_samples=[_sample(), _sample((True, False))]))
        with torch.no_grad():
            results = tiny_detector(**data, mode='predict')
            losses = tiny_detector.train()(**tiny_detector.data_preprocessor(dict(
                inputs=[torch.rand(4, 64, 64) * 255], data_samples=[_sample((False, True))]),
                training=True), mode='loss')
    finally:
        handle.remove()
        tiny_detector.eval()
    assert seen[0].tolist() == [[True, True], [True, False]]
    assert seen[1].tolist() == [[False, True]]
    assert tiny_detector._modality_mask is None  # not left behind after the call
    assert len(results) == 2 and 'masks' in results[0].pred_instances
    assert {'loss_rpn_cls', 's0.loss_cls', 's2.loss_mask'} <= set(losses)


def _neck_features(detector, data, mask):
    """First FPN level as the detector computes it in ``_forward`` for samples with
    ``modality_mask=mask``."""
    data['data_samples'][0].set_metainfo(dict(modality_mask=mask))
    seen = []
    handle = detector.neck.register_forward_hook(lambda m, i, out: seen.append(out[0]))
    try:
        with torch.no_grad():
            detector._forward(data['inputs'], data['data_samples'])
    finally:
        handle.remove()
    return seen[0]


def test_missing_sar_is_masked_not_read_as_zeros(tiny_detector):
    torch.manual_seed(0)
    data = tiny_detector.data_preprocessor(dict(
        inputs=[torch.rand(4, 64, 64) * 255], data_samples=[_sample((True, False))]))
    assert data['inputs'][0, 3].abs().sum() == 0  # zero-filled SAR
    masked = _neck_features(tiny_detector, data, (True, False))
    # Exactly the RGB branch alone (sum fusion of the present modality) ...
    with torch.no_grad():
        rgb_only = tiny_detector.neck(tiny_detector.backbone(
            data['inputs'], modality_mask=torch.tensor([[True, False]])))[0]
    torch.testing.assert_close(masked, rgb_only)
    # ... while declaring SAR present would feed its zeros to the fusion as data.
    assert not torch.allclose(masked, _neck_features(tiny_detector, data, (True, True)))
