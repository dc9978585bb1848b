"""MaRSSiameseBackbone (shared / per-date encoders, temporal fusion) and
SiameseEncoderDecoder (layout check, sliding-window inference)."""
import pytest
import timm
import torch
from mmengine.config import ConfigDict
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mars.models.backbones import MaRSBackbone, MaRSSiameseBackbone
from mars.models.backbones.mars_backbone import MARS_ARCHS
from mars.models.backbones.temporal_fusion import build_temporal_fusion

RGB = dict(in_channels=3)


def _tiny(fusion='abs_diff', **kwargs):
    kwargs.setdefault('dates', dict(t1=RGB, t2=RGB))
    torch.manual_seed(0)
    return MaRSSiameseBackbone(arch='tiny', drop_path_rate=0., fusion=fusion,
                               **kwargs).eval()


def test_shared_encoder_encodes_each_date_and_fuses_per_stage():
    backbone = _tiny('abs_diff')
    first, second = torch.rand(2, 3, 64, 64), torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        fused = backbone(torch.cat([first, second], dim=1))
        # Encoding the two dates in one 2B batch equals encoding them one by one.
        expected = [(a - b).abs() for a, b in zip(backbone.encoder(first),
                                                  backbone.encoder(second))]
        swapped = backbone(torch.cat([second, first], dim=1))
    assert [f.shape[1] for f in fused] == backbone.out_channels == [32, 64, 128, 256]
    assert [tuple(f.shape[2:]) for f in fused] == [(16, 16), (8, 8), (4, 4), (2, 2)]
    for got, want, other in zip(fused, expected, swapped):
        torch.testing.assert_close(got, want)
        torch.testing.assert_close(other, got)  # |f1 - f2| does not depend on date order
    assert sum(isinstance(m, MaRSBackbone) for m in backbone.modules()) == 1


def test_diff_is_signed_and_concat_starts_as_diff():
    x = torch.rand(1, 6, 64, 64)
    swapped = torch.cat([x[:, 3:], x[:, :3]], dim=1)
    diff, concat = _tiny('diff'), _tiny('concat')
    concat.load_state_dict(diff.state_dict(), strict=False)  # same encoder weights
    with torch.no_grad():
        for a, b, c in zip(diff(x), diff(swapped), concat(x)):
            torch.testing.assert_close(a, -b)
            torch.testing.assert_close(c, a, atol=1e-5, rtol=1e-5)
    # ... and concat is trainable: its projection receives gradients.
    concat.train()
    sum(f.sum() for f in concat(x)).backward()
    assert all(f.proj.weight.grad is not None for f in concat.fusions)
    with pytest.raises(ValueError, match='unknown temporal fusion'):
        build_temporal_fusion('sum', 8)


def test_heterogeneous_encoders_load_their_own_weights(tmp_path):
    """BRIGHT: the pre-event encoder gets the RGB checkpoint, the post-event encoder the SAR
    checkpoint (released encoder-only form, 3 and 1 input channels)."""
    tiny = MARS_ARCHS['tiny']
    paths, states = {}, {}
    for offset, (name, chans) in enumerate((('rgb', 3), ('sar', 1))):
        model = timm.create_model(tiny['timm_name'], features_only=True, in_chans=chans,
                                  img_size=512, **tiny['timm_kwargs'])
        states[name] = {k: v + offset for k, v in model.state_dict().items()}
        paths[name] = str(tmp_path / f'mars_tiny_{name}.pth')
        torch.save(states[name], paths[name])
    backbone = _tiny(dates=dict(
        pre=dict(in_channels=3, modality='rgb', pretrained=paths['rgb']),
        post=dict(in_channels=1, modality='sar', pretrained=paths['sar'])),
        shared_encoder=False)
    backbone.init_weights()
    for date, name in (('pre', 'rgb'), ('post', 'sar')):
        loaded = backbone.encoders[date].encoder.state_dict()
        key = 'patch_embed.proj.weight'
        torch.testing.assert_close(loaded[key], states[name][key])
    assert backbone.date_channels == (3, 1)
    with torch.no_grad():
        out = backbone(torch.rand(1, 4, 64, 64))
    assert [f.shape[1] for f in out] == [32, 64, 128, 256]
    with pytest.raises(ValueError, match=r'expects \[B, 4, H, W\] inputs \(pre 3 \+ post 1'):
        backbone(torch.rand(1, 6, 64, 64))


def test_backbone_rejects_bad_layouts():
    with pytest.raises(ValueError, match='identical settings for both dates'):
        _tiny(dates=dict(pre=dict(in_channels=3), post=dict(in_channels=1)))
    with pytest.raises(ValueError, match='exactly two dates'):
        _tiny(dates=dict(t1=RGB))
    with pytest.raises(KeyError, match='dates.t2: unsupported keys'):
        _tiny(dates=dict(t1=RGB, t2=dict(in_channels=3, fusion='sum')))


def _segmentor(**overrides):
    init_default_scope('mmseg')
    cfg = dict(
        type='SiameseEncoderDecoder',
        data_preprocessor=dict(
            type='MultiModalSegDataPreProcessor',
            modalities=dict(pre=dict(mean=[0.] * 3, std=[1.] * 3),
                            post=dict(mean=[0.], std=[1.])),
            size_divisor=32),
        backbone=dict(type='MaRSSiameseBackbone', arch='tiny', shared_encoder=False,
                      dates=dict(pre=dict(in_channels=3), post=dict(in_channels=1,
                                                                    modality='sar'))),
        decode_head=dict(type='UPerHead', in_channels=[32, 64, 128, 256],
                         in_index=[0, 1, 2, 3],
                         pool_scales=(1, 2), channels=16, num_classes=4,
                         norm_cfg=dict(type='BN', requires_grad=True)),
        test_cfg=ConfigDict(mode='slide', crop_size=(64, 64), stride=(32, 32)))
    cfg.update(overrides)
    torch.manual_seed(0)
    return MODELS.build(cfg)


def test_segmentor_slide_inference_and_training_step():
    model = _segmentor()
    assert model.dates == ('pre', 'post')
    inputs = [torch.randint(0, 255, (4, 96, 96)).float() for _ in range(2)]
    samples = []
    for _ in inputs:
        sample = SegDataSample(metainfo=dict(
            img_shape=(96, 96), ori_shape=(96, 96), modalities=('pre', 'post'),
            modality_channels=(3, 1), img_path=['a_pre.tif', 'a_post.tif']))
        samples.append(sample)
    seen = []
    forward = model.backbone.forward
    model.backbone.forward = lambda x: seen.append(tuple(x.shape)) or forward(x)
    model.eval()
    with torch.no_grad():
        out = model.test_step(dict(inputs=inputs, data_samples=samples))
    # 96x96 tiles, 64x64 windows, stride 32: 2 x 2 windows of both dates (4 channels).
    assert seen == [(2, 4, 64, 64)] * 4
    assert out[0].pred_sem_seg.shape == (96, 96)
    assert out[0].seg_logits.data.shape == (4, 96, 96)
    model.backbone.forward = forward
    model.train()
    for sample in samples:
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 4, (1, 96, 96)))
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    assert torch.isfinite(losses['decode.loss_ce'])


def test_segmentor_checks_dates_against_normalisation():
    swapped = dict(type='MultiModalSegDataPreProcessor',
                   modalities=dict(post=dict(mean=[0.], std=[1.]),
                                   pre=dict(mean=[0.] * 3, std=[1.] * 3)))
    with pytest.raises(ValueError, match='backbone dates .* differ from the data '
                                         'preprocessor modalities'):
        _segmentor(data_preprocessor=swapped)
    with pytest.raises(TypeError, match='needs a bi-temporal backbone'):
        _segmentor(backbone=dict(type='MaRSBackbone', arch='tiny', in_channels=4))
