"""RoIAlign and NMS on CUDA without a CUDA build of mmcv, through torchvision.

The mmcv 2.1.0 wheel MaRS-Bench installs (built against torch 2.14, which has no official mmcv
wheel) holds CPU kernels only, so mmdet's RoI extractors (``RoIAlign`` for boxes and masks,
``roi_align`` for mask targets) and NMS (``nms`` / ``batched_nms`` of the RPN and box heads)
fail on CUDA tensors. :func:`install` routes exactly these kernels to torchvision's
(``torchvision.ops.roi_align`` with the same ``aligned`` flag, ``torchvision.ops.nms``) when
they are called on a device mmcv has no kernel for. No config changes; a CUDA build of mmcv,
when present, is used as before. The first call logs which backend runs.

``MARS_DET_OPS`` chooses the backend: ``auto`` (default, as above), ``mmcv`` (never fall
back) or ``torchvision`` (on every device; used to compare both on the CPU).
"""
import os
import sys

import torch
from mmengine.logging import print_log

BACKEND_ENV = 'MARS_DET_OPS'
BACKENDS = ('auto', 'mmcv', 'torchvision')


def mmcv_has_cuda_ops():
    """Whether mmcv's compiled ops include CUDA kernels."""
    from mmcv.ops import get_compiling_cuda_version
    return get_compiling_cuda_version() != 'not available'


def requested_backend():
    """The ``MARS_DET_OPS`` setting, checked."""
    backend = os.environ.get(BACKEND_ENV, 'auto')
    if backend not in BACKENDS:
        raise ValueError(f'{BACKEND_ENV}={backend!r}: expected one of {BACKENDS}')
    return backend


class FallbackExt:
    """Stands in for ``mmcv._ext`` in ``mmcv.ops.roi_align`` and ``mmcv.ops.nms``: the three
    kernels they call go to torchvision where mmcv has none; everything else is mmcv's."""

    def __init__(self, ext, cuda_in_mmcv):
        self._ext = ext
        self._cuda_in_mmcv = cuda_in_mmcv
        self._said = set()

    def __getattr__(self, name):
        return getattr(self._ext, name)

    def _use_torchvision(self, tensor, op):
        backend = requested_backend()
        use = backend == 'torchvision' or (
            backend == 'auto' and tensor.is_cuda and not self._cuda_in_mmcv)
        key = (op, tensor.device.type, use)
        if key not in self._said:
            self._said.add(key)
            why = (f'{BACKEND_ENV}=torchvision' if backend == 'torchvision' else
                   'mmcv was built without CUDA ops' if use else f'{BACKEND_ENV}={backend}')
            print_log(f'{op} on {tensor.device.type} runs on '
                      f'{"torchvision" if use else "mmcv"} ({why})', logger='current')
        return use

    def roi_align_forward(self, input, rois, output, argmax_y, argmax_x, *, aligned_height,
                          aligned_width, spatial_scale, sampling_ratio, pool_mode, aligned):
        if not self._use_torchvision(input, 'RoIAlign'):
            return self._ext.roi_align_forward(
                input, rois, output, argmax_y, argmax_x, aligned_height=aligned_height,
                aligned_width=aligned_width, spatial_scale=spatial_scale,
                sampling_ratio=sampling_ratio, pool_mode=pool_mode, aligned=aligned)
        _check_avg_pool(pool_mode)
        from torchvision.ops import roi_align
        output.copy_(roi_align(input, rois.to(input.dtype), (aligned_height, aligned_width),
                               spatial_scale, sampling_ratio, aligned))

    def roi_align_backward(self, grad_output, rois, argmax_y, argmax_x, grad_input, *,
                           aligned_height, aligned_width, spatial_scale, sampling_ratio,
                           pool_mode, aligned):
        if not self._use_torchvision(grad_output, 'RoIAlign'):
            return self._ext.roi_align_backward(
                grad_output, rois, argmax_y, argmax_x, grad_input,
                aligned_height=aligned_height, aligned_width=aligned_width,
                spatial_scale=spatial_scale, sampling_ratio=sampling_ratio,
                pool_mode=pool_mode, aligned=aligned)
        _check_avg_pool(pool_mode)
        from torchvision.ops import roi_align

        # Average RoIAlign is linear in its input: its gradient does not depend on the
        # input's values, so autograd through torchvision on zeros gives it exactly.
        with torch.enable_grad():
            zeros = torch.zeros_like(grad_input, requires_grad=True)
            pooled = roi_align(zeros, rois.to(zeros.dtype), (aligned_height, aligned_width),
                               spatial_scale, sampling_ratio, aligned)
            grad, = torch.autograd.grad(pooled, zeros, grad_output)
        grad_input.copy_(grad)

    def nms(self, bboxes, scores, *, iou_threshold, offset):
        if not self._use_torchvision(bboxes, 'NMS'):
            return self._ext.nms(bboxes, scores, iou_threshold=iou_threshold, offset=offset)
        if offset != 0:
            raise NotImplementedError(
                f'NMS with offset={offset} (the legacy +1 box width) has no torchvision '
                'kernel; use offset=0 or a CUDA build of mmcv')
        from torchvision.ops import nms

        # mmcv visits boxes in the order of torch's (unstable) descending sort, torchvision
        # in a stable one: give torchvision the boxes in mmcv's order, so that equal scores
        # keep the same boxes, then map its picks back.
        order = scores.sort(0, descending=True)[1]
        return order[nms(bboxes[order], scores[order], float(iou_threshold))]


def _check_avg_pool(pool_mode):
    if pool_mode != 1:  # mmcv's code for 'avg'
        raise NotImplementedError(
            "RoIAlign(pool_mode='max') has no torchvision kernel; use pool_mode='avg' or a "
            'CUDA build of mmcv')


def install():
    """Put :class:`FallbackExt` in front of mmcv's RoIAlign and NMS kernels (idempotent)."""
    requested_backend()  # a bad MARS_DET_OPS fails at import, not at the first detection
    import mmcv.ops  # noqa: F401  (loads the submodules below)
    cuda_in_mmcv = mmcv_has_cuda_ops()
    for name in ('mmcv.ops.roi_align', 'mmcv.ops.nms'):
        module = sys.modules[name]
        if not isinstance(module.ext_module, FallbackExt):
            module.ext_module = FallbackExt(module.ext_module, cuda_in_mmcv)
