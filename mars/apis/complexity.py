"""Parameters and FLOPs of a model at a given input size (mmengine's counter)."""
import functools

import torch
from mmengine.analysis import get_model_complexity_info

from mars.engine.hooks.normalization_check_hook import normalization_of


def input_channels(model):
    """Channels of the stacked model input (all modalities), from the data preprocessor."""
    norm = normalization_of(model.data_preprocessor)
    if norm:
        return sum(len(spec['mean']) for spec in norm.values())
    return 3


def _data_sample_type(model):
    if model.cfg.get('default_scope') == 'mmdet':
        from mmdet.structures import DetDataSample
        return DetDataSample
    from mmseg.structures import SegDataSample
    return SegDataSample


def model_complexity(model, shape=(512, 512)):
    """FLOPs (one multiply-add counted as one, as mmseg / mmdet report) and parameters of
    ``model``'s tensor forward (backbone + neck + heads, no post-processing) on one
    ``C x H x W`` input.

    Returns:
        dict: ``flops``, ``params`` (numbers), ``flops_str``, ``params_str``, ``shape``
        (``[C, H, W]``).
    """
    shape = (input_channels(model), *shape)
    inputs = torch.zeros((1, *shape), device=next(model.parameters()).device)
    size = tuple(shape[1:])
    meta = dict(img_shape=size, ori_shape=size, pad_shape=size, batch_input_shape=size,
                scale_factor=(1.0, 1.0), padding_size=[0, 0, 0, 0])
    # Two-stage detectors need image metainfo even in the tensor forward.
    sample = _data_sample_type(model)(metainfo=meta)
    was_training, forward = model.training, model.forward
    model.eval()
    model.forward = functools.partial(forward, data_samples=[sample], mode='tensor')
    try:
        with torch.no_grad():
            info = get_model_complexity_info(model, inputs=(inputs, ), show_table=False,
                                             show_arch=False)
    finally:
        del model.forward  # back to the class's forward
        model.train(was_training)
    return dict(flops=info['flops'], params=info['params'], flops_str=info['flops_str'],
                params_str=info['params_str'], shape=list(shape))
