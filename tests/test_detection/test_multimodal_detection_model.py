"""MultiModalDetDataPreProcessor, MultiModalCascadeRCNN and MultiModalFasterRCNN (tiny
encoders)."""
import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.structures import InstanceData

from mars.engine.hooks import normalization_of
from mars.models.detectors import MaskedInputs

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
    assert 'modality_mask' not in str(vars(tiny_detector).keys())  # no state left
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


def _backbone_masks(detector):
    """Start recording the ``modality_mask`` of each backbone call; returns (list, handle)."""
    seen = []
    handle = detector.backbone.register_forward_hook(
        lambda module, args, kwargs, out: seen.append(kwargs.get('modality_mask')),
        with_kwargs=True)
    return seen, handle


def test_calls_are_reentrant(tiny_detector):
    """A detector call made while another one runs (e.g. from a hook) uses its own
    samples' masks, and the outer call keeps its mask."""
    outer = tiny_detector.data_preprocessor(dict(
        inputs=[torch.rand(4, 64, 64) * 255], data_samples=[_sample((True, False))]))
    inner = tiny_detector.data_preprocessor(dict(
        inputs=[torch.rand(4, 64, 64) * 255], data_samples=[_sample((False, True))]))
    seen, handle = _backbone_masks(tiny_detector)
    nested = []

    def call_inside(module, args, out):
        if not nested:  # once: the inner call runs this hook too
            nested.append('inner call')
            tiny_detector._forward(inner['inputs'], inner['data_samples'])

    neck_handle = tiny_detector.neck.register_forward_hook(call_inside)
    try:
        with torch.no_grad():
            tiny_detector._forward(outer['inputs'], outer['data_samples'])
            tiny_detector.extract_feat(outer['inputs'])  # a plain tensor: all present
    finally:
        handle.remove()
        neck_handle.remove()
    assert [m.tolist() if m is not None else None for m in seen] == [
        [[True, False]], [[False, True]], None]
    assert nested == ['inner call']


def test_masked_inputs_carry_the_samples_masks(tiny_detector):
    data = tiny_detector.data_preprocessor(dict(
        inputs=[torch.rand(4, 64, 64) * 255 for _ in range(2)],
        data_samples=[_sample((False, True)), _sample()]))
    masked = tiny_detector._masked(data['inputs'], data['data_samples'])
    assert isinstance(masked, MaskedInputs) and masked.inputs is data['inputs']
    assert masked.modality_mask.tolist() == [[False, True], [True, True]]
    assert tiny_detector._masked(data['inputs'], None).modality_mask is None


@pytest.fixture(scope='module')
def tiny_faster_rcnn(det_configs):
    """The tiny UBC-V2 config's backbone and preprocessor on a Faster R-CNN."""
    cascade = Config.fromfile(det_configs['ubcv2']).model
    faster = Config.fromfile(det_configs['sardet_sar']).model
    faster.type = 'MultiModalFasterRCNN'
    faster.data_preprocessor = cascade.data_preprocessor  # replaced, not merged
    faster.backbone = cascade.backbone
    faster.neck.in_channels = cascade.neck.in_channels
    torch.manual_seed(0)
    return MODELS.build(faster).eval()


def test_multimodal_faster_rcnn_trains_and_predicts_with_masks(tiny_faster_rcnn):
    detector = tiny_faster_rcnn
    seen, handle = _backbone_masks(detector)
    try:
        data = detector.data_preprocessor(dict(
            inputs=[torch.rand(4, 64, 64) * 255 for _ in range(2)],
            data_samples=[_sample(), _sample((True, False))]))
        with torch.no_grad():
            results = detector(**data, mode='predict')
        losses = detector.train()(**detector.data_preprocessor(dict(
            inputs=[torch.rand(4, 64, 64) * 255], data_samples=[_sample((False, True))]),
            training=True), mode='loss')
    finally:
        handle.remove()
        detector.eval()
    assert [m.tolist() for m in seen] == [[[True, True], [True, False]], [[False, True]]]
    assert len(results) == 2 and 'bboxes' in results[0].pred_instances
    assert {'loss_rpn_cls', 'loss_cls', 'loss_bbox'} <= set(losses)
    losses['loss_cls'].backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in detector.backbone.encoders['sar'].parameters())
