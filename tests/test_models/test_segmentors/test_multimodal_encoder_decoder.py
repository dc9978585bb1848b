import functools

import pytest
import torch
from mmengine.structures import PixelData

from mars.models.backbones.mars_backbone import arch_channels
from mars.models.segmentors import stack_modality_mask

SIZE = 64
BACKBONE = dict(type='MaRSMultiModalBackbone', arch='tiny', drop_path_rate=0.,
                modality_dropout=dict(rgb=0.1, sar=0.3))
HEAD = dict(type='UPerHead', in_channels=arch_channels('tiny'), in_index=[0, 1, 2, 3],
            channels=16, pool_scales=(1, 2), num_classes=3,
            norm_cfg=dict(type='BN', requires_grad=True),
            loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0))


def add_classes(sample, size):
    sample.gt_sem_seg = PixelData(data=torch.randint(0, 3, (1, *size)))


@pytest.fixture
def build_segmentor(build_model):
    return functools.partial(build_model, 'MultiModalEncoderDecoder', backbone=BACKBONE,
                             decode_head=HEAD)


@pytest.fixture
def batch(make_batch):
    return functools.partial(make_batch, add_label=add_classes)


def test_loss_step_passes_each_samples_mask(build_segmentor, batch, spy_masks):
    segmentor = build_segmentor()
    seen = spy_masks(segmentor)
    data = segmentor.data_preprocessor(batch([(True, True), (True, False)]), training=True)
    losses = segmentor(**data, mode='loss')
    losses['decode.loss_ce'].backward()
    assert torch.isfinite(losses['decode.loss_ce'])
    assert seen[0].tolist() == [[True, True], [True, False]]
    rgb_block = segmentor.backbone.encoders['rgb'].encoder.layers_3.blocks[0]
    assert rgb_block.mlp.fc1.weight.grad is not None


@pytest.mark.parametrize('test_cfg', [
    dict(mode='whole'), dict(mode='slide', crop_size=(32, 32), stride=(16, 16))])
def test_inference_passes_masks_and_missing_sar_is_ignored(build_segmentor, batch, spy_masks,
                                                           test_cfg):
    segmentor = build_segmentor(test_cfg=test_cfg).eval()
    seen = spy_masks(segmentor)
    data = segmentor.data_preprocessor(batch([(True, True), (True, False)]))
    with torch.no_grad():
        results = segmentor(**data, mode='predict')
    assert len(seen) == (1 if test_cfg['mode'] == 'whole' else 9)
    assert all(m.tolist() == [[True, True], [True, False]] for m in seen)
    assert results[1].pred_sem_seg.data.shape == (1, SIZE, SIZE)

    # Sample 1 has no SAR: its logits cannot depend on the (zero-filled) SAR channel.
    changed = dict(data, inputs=data['inputs'].clone())
    changed['inputs'][1, 3] = 5.
    with torch.no_grad():
        again = segmentor(**changed, mode='predict')
    assert torch.equal(results[1].seg_logits.data, again[1].seg_logits.data)


def test_tensor_mode_and_samples_without_masks_mean_all_present(build_segmentor, batch,
                                                                spy_masks):
    segmentor = build_segmentor().eval()
    seen = spy_masks(segmentor)
    data = segmentor.data_preprocessor(batch([None, None]))
    with torch.no_grad():
        logits = segmentor(**data, mode='tensor')
        segmentor(data['inputs'], mode='tensor')
    assert logits.shape == (2, 3, SIZE // 4, SIZE // 4)
    assert seen[0].all() and seen[1] is None


def test_plain_mars_backbone_is_called_without_a_mask(build_segmentor, batch):
    segmentor = build_segmentor(
        backbone=dict(type='MaRSBackbone', arch='tiny', drop_path_rate=0.)).eval()
    assert not segmentor.with_modality_mask
    data = segmentor.data_preprocessor(batch([None], channels=3))
    with torch.no_grad():
        results = segmentor(**data, mode='predict')
    assert results[0].pred_sem_seg.data.shape == (1, SIZE, SIZE)


def test_masks_are_matched_by_modality_name():
    metas = [dict(modalities=('sar', 'rgb'), modality_mask=(False, True)), dict()]
    assert stack_modality_mask(metas, ('rgb', 'sar')).tolist() == [[True, False], [True, True]]
    with pytest.raises(KeyError, match=r"lack the backbone modalities \['sar'\]"):
        stack_modality_mask([dict(modalities=('rgb', ), modality_mask=(True, ))],
                            ('rgb', 'sar'))
