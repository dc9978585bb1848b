"""RoIAlign / NMS through torchvision (mars.utils.det_ops) equal mmcv's kernels.

On the CPU both backends run: ``MARS_DET_OPS=torchvision`` forces torchvision's kernels, the
path a CUDA tensor takes when mmcv's ops are CPU-only.
"""
import sys

import pytest
import torch
from mmcv.ops import RoIAlign, batched_nms, nms
from mmdet.registry import MODELS
from mmengine.config import Config

from mars.utils import det_ops
from test_multimodal_detection_model import _sample


def _run_both(monkeypatch, fn):
    results = {}
    for name in ('mmcv', 'torchvision'):
        monkeypatch.setenv(det_ops.BACKEND_ENV, name)
        results[name] = fn()
    return results['mmcv'], results['torchvision']


def _rois(n, generator):
    # Batch index, then boxes of the 32x40 map at stride 2 (an 80x64 image); some reach
    # past the image on every side.
    index = torch.randint(0, 2, (n, 1), generator=generator).float()
    corner = torch.rand(n, 2, generator=generator) * torch.tensor([90., 74.]) - 10
    size = torch.rand(n, 2, generator=generator) * 40 + 0.5
    return torch.cat([index, corner, corner + size], dim=1)


@pytest.mark.parametrize('output_size, sampling_ratio, aligned', [
    ((7, 7), 0, True), ((14, 14), 0, True), ((7, 7), 2, True), ((7, 7), 0, False)])
def test_roi_align_forward_and_backward_match(monkeypatch, output_size, sampling_ratio,
                                              aligned):
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(2, 8, 32, 40, generator=generator)
    rois = _rois(64, generator)
    grad_out = torch.randn(64, 8, *output_size, generator=generator)

    def run():
        x = features.clone().requires_grad_()
        y = RoIAlign(output_size, 0.5, sampling_ratio, aligned=aligned)(x, rois)
        y.backward(grad_out)
        return y.detach(), x.grad

    (y_mmcv, g_mmcv), (y_tv, g_tv) = _run_both(monkeypatch, run)
    assert y_mmcv.abs().sum() > 0 and g_mmcv.abs().sum() > 0
    torch.testing.assert_close(y_tv, y_mmcv, atol=1e-5, rtol=0)
    torch.testing.assert_close(g_tv, g_mmcv, atol=1e-5, rtol=0)


def test_nms_keeps_identical_indices_with_ties(monkeypatch):
    for seed in range(10):
        generator = torch.Generator().manual_seed(seed)
        corner = torch.rand(300, 2, generator=generator) * 100
        boxes = torch.cat([corner, corner + torch.rand(300, 2, generator=generator) * 30 + 1], 1)
        scores = torch.rand(300, generator=generator)
        scores[::3], scores[1::5] = 0.5, 0.25  # many equal scores
        labels = torch.randint(0, 4, (300, ), generator=generator)
        mmcv_keep, tv_keep = _run_both(monkeypatch, lambda: (
            nms(boxes, scores, 0.5)[1],
            batched_nms(boxes, scores, labels, dict(type='nms', iou_threshold=0.6))[1]))
        assert torch.equal(mmcv_keep[0], tv_keep[0]) and torch.equal(mmcv_keep[1], tv_keep[1])


def test_cascade_mask_rcnn_detects_and_trains_the_same(monkeypatch, det_configs):
    cfg = Config.fromfile(det_configs['ubcv2'])
    for stage in cfg.model.test_cfg.rcnn if isinstance(cfg.model.test_cfg.rcnn, list) else [
            cfg.model.test_cfg.rcnn]:
        stage.score_thr = 0.0  # an untrained model: keep every box, so there is much to compare
    torch.manual_seed(0)
    detector = MODELS.build(cfg.model)
    inputs = [torch.rand(4, 64, 64, generator=torch.Generator().manual_seed(i)) * 255
              for i in range(2)]

    def run():
        detector.eval()
        with torch.no_grad():
            data = detector.data_preprocessor(dict(inputs=inputs, data_samples=[
                _sample(), _sample()]))
            results = detector(**data, mode='predict')
        detector.train()
        detector.zero_grad()
        data = detector.data_preprocessor(dict(inputs=inputs[:1], data_samples=[_sample()]),
                                          training=True)
        torch.manual_seed(1)  # the samplers draw proposals at random
        losses = detector(**data, mode='loss')
        sum(v for k, v in losses.items() if 'loss' in k and torch.is_tensor(v)).backward()
        grad = next(detector.backbone.parameters()).grad.clone()
        return results, {k: v for k, v in losses.items() if torch.is_tensor(v)}, grad

    (res_mmcv, loss_mmcv, grad_mmcv), (res_tv, loss_tv, grad_tv) = _run_both(monkeypatch, run)
    for a, b in zip(res_mmcv, res_tv):
        a, b = a.pred_instances, b.pred_instances
        assert len(a) > 0
        torch.testing.assert_close(b.bboxes, a.bboxes)
        torch.testing.assert_close(b.scores, a.scores)
        assert torch.equal(b.labels, a.labels) and torch.equal(b.masks, a.masks)
    assert set(loss_tv) == set(loss_mmcv) and 's2.loss_mask' in loss_mmcv
    for key in loss_mmcv:
        torch.testing.assert_close(loss_tv[key], loss_mmcv[key], msg=key)
    torch.testing.assert_close(grad_tv, grad_mmcv, atol=1e-5, rtol=1e-4)


def test_backend_is_logged_once_and_bad_setting_refused(monkeypatch):
    monkeypatch.setenv(det_ops.BACKEND_ENV, 'torchvision')
    ext = sys.modules['mmcv.ops.nms'].ext_module
    monkeypatch.setattr(ext, '_said', set())
    logged = []
    monkeypatch.setattr(det_ops, 'print_log', lambda msg, **kwargs: logged.append(msg))
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.]])
    for _ in range(3):
        nms(boxes, torch.tensor([0.9, 0.8]), 0.5)
    assert logged == ['NMS on cpu runs on torchvision (MARS_DET_OPS=torchvision)']
    monkeypatch.setenv(det_ops.BACKEND_ENV, 'cuda')
    with pytest.raises(ValueError, match="MARS_DET_OPS='cuda': expected one of"):
        nms(boxes, torch.tensor([0.9, 0.8]), 0.5)


def test_auto_uses_mmcv_on_cpu(monkeypatch):
    monkeypatch.setenv(det_ops.BACKEND_ENV, 'auto')
    ext = sys.modules['mmcv.ops.roi_align'].ext_module
    assert isinstance(ext, det_ops.FallbackExt)
    assert not ext._use_torchvision(torch.zeros(1), 'RoIAlign')
    # A CUDA tensor with CPU-only mmcv ops would go to torchvision.
    fake_cuda = type('T', (), dict(is_cuda=True, device=torch.device('cpu')))()
    assert ext._use_torchvision(fake_cuda, 'RoIAlign') == (not det_ops.mmcv_has_cuda_ops())
