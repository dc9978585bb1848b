"""What the multi-modal segmentor tests share: a tiny model builder, batches and a mask spy."""
import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.registry import init_default_scope
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import mars.models  # noqa: F401  (registration)

NORM = dict(rgb=dict(mean=[100.] * 3, std=[50.] * 3), sar=dict(mean=[60.], std=[60.]))


@pytest.fixture
def build_model():
    """``build(model_type, backbone, decode_head, test_cfg)``: a seeded tiny model.

    The data preprocessor normalises RGB + SAR, or RGB only for a plain ``MaRSBackbone``.
    """

    def build(model_type, backbone, decode_head, test_cfg=dict(mode='whole')):
        init_default_scope('mmseg')
        torch.manual_seed(0)
        modalities = dict(NORM)
        if backbone['type'] == 'MaRSBackbone':
            modalities.pop('sar')
        return MODELS.build(ConfigDict(
            type=model_type,
            data_preprocessor=dict(type='MultiModalSegDataPreProcessor', modalities=modalities,
                                   size_divisor=32, test_cfg=dict(size_divisor=32)),
            backbone=backbone, decode_head=decode_head, test_cfg=test_cfg))

    return build


@pytest.fixture
def make_batch():
    """``make(masks, add_label, size=(64, 64), channels=4)``: one uint8 sample per mask.

    ``None`` as a mask leaves the modality metainfo out; ``add_label(sample, size)`` sets the
    sample's ground truth.
    """

    def make(masks, add_label, size=(64, 64), channels=4):
        samples = []
        torch.manual_seed(1)
        for mask in masks:
            meta = dict(img_shape=size, ori_shape=size, pad_shape=size)
            if mask is not None:
                meta.update(modalities=('rgb', 'sar'), modality_mask=mask)
            sample = SegDataSample(metainfo=meta)
            add_label(sample, size)
            samples.append(sample)
        inputs = [torch.randint(0, 255, (channels, *size), dtype=torch.uint8) for _ in masks]
        return dict(inputs=inputs, data_samples=samples)

    return make


@pytest.fixture
def spy_masks():
    """``spy(model)``: the list of ``modality_mask`` values its backbone is called with."""

    def spy(model):
        seen = []
        forward = model.backbone.forward

        def recording(x, modality_mask=None):
            seen.append(modality_mask)
            return forward(x, modality_mask)

        model.backbone.forward = recording
        return seen

    return spy
