"""CROMA and DOFA baselines: builds (tiny variants), the authors' released key layouts
(mars/testing/released_layouts.py, written from antofuller/CROMA main_croma.py and
zhu-xlab/DOFA dofa_v1.py + wave_dynamic_layer.py) load with zero missing and unexpected
keys, input-band handling, four feature levels, refusals."""
import itertools
import logging
import math

import pytest
import torch
from mmdet.registry import MODELS as DET_MODELS
from mmengine.logging import MMLogger
from mmseg.registry import MODELS as SEG_MODELS

from mars.models.backbones.baselines import (CROMABackbone, DOFABackbone, croma_channels,
                                             dofa_channels)
from mars.models.backbones.baselines.croma import OPTICAL_BANDS, alibi_2d
from mars.testing.released_layouts import croma_checkpoint, dofa_state_dict

STRIDES = (4, 8, 16, 32)


@pytest.fixture
def log():
    class Collector(logging.Handler):
        text = ''

        def emit(self, record):
            Collector.text += record.getMessage() + '\n'

    logger = MMLogger.get_current_instance()
    handler = Collector()
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def _levels(backbone, channels, height=64, width=96):
    with torch.no_grad():
        outs = backbone.eval()(torch.randn(2, channels, height, width))
    assert [tuple(o.shape) for o in outs] == [
        (2, c, height // s, width // s) for c, s in zip(backbone.out_channels, STRIDES)]


@pytest.mark.parametrize('in_channels,modality,parts', [
    (3, 'optical', ['s2_encoder']), (1, 'SAR', ['s1_encoder']),
    (4, 'both', ['s2_encoder', 's1_encoder', 'joint_encoder'])])
def test_croma_release_loads_completely_and_gives_four_levels(in_channels, modality, parts,
                                                              tmp_path, log):
    checkpoint = croma_checkpoint()
    path = str(tmp_path / 'CROMA_base.pt')
    torch.save(checkpoint, path)
    backbone = CROMABackbone(arch='croma-tiny', in_channels=in_channels, pretrained=path)
    assert backbone.modality == modality and list(backbone.model) == parts
    result = backbone.load_released(checkpoint, path)
    assert result.missing_keys == [] and result.unexpected_keys == []
    backbone.init_weights()
    assert 'missing keys: none, unexpected keys: none' in log.text
    dropped = sorted({'s1_encoder', 's1_GAP_FFN', 's2_encoder', 's2_GAP_FFN',
                      'joint_encoder'} - set(parts))
    assert f"parts not used by modality={modality!r} dropped: {dropped}" in log.text
    if 's2_encoder' in parts:
        # RGB = CROMA's bands B4, B3, B2 (indices 3, 2, 1 of the 12): their 8x8 filters.
        released = checkpoint['s2_encoder']['linear_input.weight'].view(32, 12, 64)
        torch.testing.assert_close(backbone.model['s2_encoder'].linear_input.weight,
                                   released[:, [3, 2, 1]].reshape(32, 192))
        assert "keeps the filters of bands ['B4', 'B3', 'B2']" in log.text
    if 'joint_encoder' in parts:
        torch.testing.assert_close(
            backbone.model['joint_encoder'].layers[0][1].to_k.weight,
            checkpoint['joint_encoder']['layers.0.1.to_k.weight'])
    assert backbone.out_channels == croma_channels('croma-tiny') == [16, 32, 32, 32]
    _levels(backbone, in_channels)


def test_croma_three_copies_of_one_sar_band_equal_the_band_alone(tmp_path):
    """SARDet-100k's 3-channel SAR (one band copied thrice) through the radar encoder: the
    VV filters split over the copies give exactly the 1-channel VV result."""
    checkpoint = croma_checkpoint()
    one = CROMABackbone(arch='croma-tiny', in_channels=1, feature_pyramid='last')
    three = CROMABackbone(arch='croma-tiny', in_channels=3, modality='SAR',
                          sar_bands=('VV', 'VV', 'VV'), feature_pyramid='last')
    one.load_released(checkpoint)
    three.load_released(checkpoint)
    x = torch.randn(1, 1, 32, 64)
    with torch.no_grad():
        torch.testing.assert_close(three.eval()(x.repeat(1, 3, 1, 1))[0], one.eval()(x)[0],
                                   rtol=1e-4, atol=1e-5)
    assert one.out_channels == [32] and one(x)[0].shape == (1, 32, 4, 8)  # stride 8


def test_croma_alibi_and_attention_follow_the_authors_formula():
    # main_croma.get_2dalibi: -(Euclidean patch distance) * slope, slopes of ALiBi.
    heads, h, w = 16, 3, 4
    start = 2 ** (-2 ** -(math.log2(heads) - 3))
    slopes = [start ** (i + 1) for i in range(heads)]
    points = list(itertools.product(range(h), range(w)))
    expected = torch.tensor([[[-math.dist(p, q) * s for q in points] for p in points]
                             for s in slopes])[None]
    torch.testing.assert_close(alibi_2d(heads, h, w), expected.float())
    # Attention: softmax(q k^T * d^-0.5 + bias) v, einsum form of main_croma.Attention.
    backbone = CROMABackbone(arch='croma-tiny', in_channels=1).eval()
    attention = backbone.model['s1_encoder'].transformer.layers[0][0]
    x, bias = torch.randn(2, h * w, 32), alibi_2d(2, h, w)
    q, k, v = attention.to_qkv(attention.input_norm(x)).chunk(3, dim=-1)
    q, k, v = (t.view(2, h * w, 2, 16).transpose(1, 2) for t in (q, k, v))
    attn = (torch.einsum('bhid,bhjd->bhij', q, k) * 16 ** -0.5 + bias).softmax(-1)
    out = torch.einsum('bhij,bhjd->bhid', attn, v).transpose(1, 2).reshape(2, h * w, 32)
    with torch.no_grad():
        torch.testing.assert_close(attention(x, bias), attention.to_out(out))


def test_croma_bad_arguments_and_files_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"in_channels=3, but modality='optical' names 2"):
        CROMABackbone(arch='croma-tiny', optical_bands=('B4', 'B3'))
    with pytest.raises(ValueError, match=r'optical_bands must be .*got \[\'R\''):
        CROMABackbone(arch='croma-tiny', optical_bands=('R', 'G', 'B'))
    with pytest.raises(ValueError, match=r"optical_bands is not used by modality='SAR'"):
        CROMABackbone(arch='croma-tiny', in_channels=1, optical_bands=('B4', ))
    with pytest.raises(ValueError, match=r'no default modality for in_channels=2'):
        CROMABackbone(arch='croma-tiny', in_channels=2)
    with pytest.raises(KeyError, match=r"unknown arch 'croma-h'"):
        CROMABackbone(arch='croma-h')
    with pytest.raises(ValueError, match='divisible by 32, got 48x64'):
        CROMABackbone(arch='croma-tiny')(torch.zeros(1, 3, 48, 64))
    checkpoint = croma_checkpoint()
    checkpoint['s2_encoder']['transformer.layers.1.1.net.0.weight'] = torch.zeros(3, 3)
    path = str(tmp_path / 'broken.pt')
    torch.save(checkpoint, path)
    with pytest.raises(ValueError, match=r'broken\.pt: shape mismatch for '
                       r's2_encoder\.transformer\.layers\.1\.1\.net\.0\.weight'):
        CROMABackbone(arch='croma-tiny', pretrained=path).init_weights()
    torch.save(dofa_state_dict(), str(tmp_path / 'dofa.pth'))
    with pytest.raises(ValueError, match=r'dofa\.pth: none of the CROMA parts'):
        CROMABackbone(arch='croma-tiny', pretrained=str(tmp_path / 'dofa.pth')).init_weights()
    checkpoint = croma_checkpoint(dim=64)  # another size: refused naming a key
    with pytest.raises(ValueError, match=r'CROMA_large\.pt: shape mismatch for s2_encoder'):
        CROMABackbone(arch='croma-tiny').load_released(checkpoint, 'CROMA_large.pt')


def test_dofa_release_loads_completely_and_gives_four_levels(tmp_path, log):
    state_dict = dofa_state_dict()
    path = str(tmp_path / 'DOFA_ViT_base_e100.pth')
    torch.save(state_dict, path)
    backbone = DOFABackbone(arch='dofa-tiny', pretrained=path)
    result = backbone.load_released(state_dict, path)
    assert result.missing_keys == [] and result.unexpected_keys == []
    backbone.init_weights()
    assert 'missing keys: none, unexpected keys: none' in log.text
    assert ("dropped: ['mask_token', 'norm.bias', 'norm.weight', 'projector.bias', "
            "'projector.weight']") in log.text
    assert 'input wavelengths (micrometres, per channel): [0.665, 0.56, 0.49]' in log.text
    torch.testing.assert_close(backbone.model.pos_embed, state_dict['pos_embed'])
    assert not backbone.model.pos_embed.requires_grad  # fixed sin-cos, as DOFA
    torch.testing.assert_close(
        backbone.model.patch_embed.weight_generator.fc_weight.weight,
        state_dict['patch_embed.weight_generator.fc_weight.weight'])
    assert backbone.out_channels == dofa_channels('dofa-tiny') == [8, 16, 32, 32]
    _levels(backbone, 3)


@pytest.mark.parametrize('in_channels,wavelengths', [
    (1, [5.405]), (4, [0.665, 0.56, 0.49, 5.405]), (2, [5.405, 5.405])])
def test_dofa_default_wavelengths(in_channels, wavelengths):
    backbone = DOFABackbone(arch='dofa-tiny', in_channels=in_channels)
    assert backbone.wavelengths == wavelengths
    _levels(backbone, in_channels, 32, 32)


def test_dofa_features_depend_on_the_wavelengths():
    state_dict = dofa_state_dict()
    sar = DOFABackbone(arch='dofa-tiny', in_channels=3, wavelengths=[5.405] * 3,
                       feature_pyramid='last')
    rgb = DOFABackbone(arch='dofa-tiny', in_channels=3, feature_pyramid='last')
    sar.load_released(state_dict)
    rgb.load_released(state_dict)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        a, b = sar.eval()(x)[0], rgb.eval()(x)[0]
    assert a.shape == b.shape == (1, 32, 4, 4)
    assert (a - b).abs().max() > 1e-3


def test_dofa_position_embedding_is_used_as_released_at_224(tmp_path):
    """At 224 px (the release grid, 14x14) the position embedding is not resampled: moving
    it moves the features; at 64 px it is resampled (the forward runs)."""
    state_dict = dofa_state_dict()
    backbone = DOFABackbone(arch='dofa-tiny', feature_pyramid='last', drop_path_rate=0.0)
    backbone.load_released(state_dict)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        before = backbone.eval()(x)[0]
        backbone.model.pos_embed[:, 1:2] += 1.0
        after = backbone(x)[0]
    assert before.shape == (1, 32, 14, 14)
    assert not torch.allclose(before, after)


def test_dofa_bad_arguments_and_files_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r'wavelengths must be 3 positive values'):
        DOFABackbone(arch='dofa-tiny', wavelengths=[0.665, 0.56])
    with pytest.raises(ValueError, match=r'no default wavelengths for in_channels=5'):
        DOFABackbone(arch='dofa-tiny', in_channels=5)
    with pytest.raises(ValueError, match=r"feature_pyramid must be one of"):
        DOFABackbone(arch='dofa-tiny', feature_pyramid='fpn')
    with pytest.raises(ValueError, match=r'built for in_channels=3, got an input of 1'):
        DOFABackbone(arch='dofa-tiny')(torch.zeros(1, 1, 64, 64))
    state_dict = dofa_state_dict()
    state_dict['blocks.1.mlp.fc1.weight'] = torch.zeros(3, 3)
    path = str(tmp_path / 'broken.pth')
    torch.save(state_dict, path)
    with pytest.raises(ValueError, match=r'broken\.pth: shape mismatch for '
                       r'blocks\.1\.mlp\.fc1\.weight'):
        DOFABackbone(arch='dofa-tiny', pretrained=path).init_weights()
    torch.save({'encoder.foo': torch.zeros(1)}, str(tmp_path / 'other.pth'))
    with pytest.raises(ValueError, match=r'other\.pth: none of its 1 tensors'):
        DOFABackbone(arch='dofa-tiny', pretrained=str(tmp_path / 'other.pth')).init_weights()


def test_registered_in_both_scopes():
    for cls in (CROMABackbone, DOFABackbone):
        assert SEG_MODELS.get(cls.__name__) is cls and DET_MODELS.get(cls.__name__) is cls


def test_optical_band_names_are_croma_s2_order():
    assert OPTICAL_BANDS.index('B4') == 3 and len(OPTICAL_BANDS) == 12 \
        and 'B10' not in OPTICAL_BANDS


def test_multimodal_wrapper_with_croma_and_dofa_encoders(tmp_path):
    """One encoder per modality: CROMA's optical encoder for RGB and radar encoder for SAR,
    DOFA with RGB and SAR wavelengths, each from its modality's ``in_channels``."""
    from mars.models.backbones import MaRSMultiModalBackbone
    croma_file, dofa_file = str(tmp_path / 'CROMA_base.pt'), str(tmp_path / 'dofa.pth')
    torch.save(croma_checkpoint(), croma_file)
    torch.save(dofa_state_dict(), dofa_file)
    x = torch.randn(2, 4, 64, 64)
    for encoder, path in ((dict(type='CROMABackbone', arch='croma-tiny'), croma_file),
                          (dict(type='DOFABackbone', arch='dofa-tiny'), dofa_file)):
        backbone = MaRSMultiModalBackbone(
            modalities=dict(rgb=dict(in_channels=3, pretrained=path),
                            sar=dict(in_channels=1, pretrained=path)),
            encoder=encoder, fusion='sum')
        backbone.init_weights()
        rgb, sar = backbone.encoders['rgb'], backbone.encoders['sar']
        if encoder['type'] == 'CROMABackbone':
            assert (rgb.modality, sar.modality) == ('optical', 'SAR')
        else:
            assert (rgb.wavelengths, sar.wavelengths) == ([0.665, 0.56, 0.49], [5.405])
        with torch.no_grad():
            outs = backbone.eval()(x)
        assert [tuple(o.shape) for o in outs] == [
            (2, c, 64 // s, 64 // s) for c, s in zip(rgb.out_channels, STRIDES)]


def test_siamese_wrapper_with_a_shared_croma_encoder():
    from mars.models.backbones import MaRSSiameseBackbone
    backbone = MaRSSiameseBackbone(
        dates=dict(t1=dict(in_channels=3), t2=dict(in_channels=3)),
        encoder=dict(type='CROMABackbone', arch='croma-tiny'), fusion='stack').eval()
    assert isinstance(backbone.encoder, CROMABackbone)
    with torch.no_grad():
        outs = backbone(torch.randn(1, 6, 64, 64))
    assert [tuple(o.shape) for o in outs] == [(1, 32, 16, 16), (1, 64, 8, 8), (1, 64, 4, 4),
                                              (1, 64, 2, 2)]


def test_croma_runs_under_autocast():
    """The ALiBi mask follows the autocast dtype (SDPA wants the query's dtype)."""
    backbone = CROMABackbone(arch='croma-tiny', in_channels=4).eval()
    with torch.no_grad(), torch.autocast('cpu', dtype=torch.bfloat16):
        outs = backbone(torch.randn(1, 4, 32, 32))
    assert outs[1].dtype == torch.bfloat16 and outs[1].shape == (1, 32, 4, 4)


def test_base_archs_have_the_released_shapes():
    """CROMA-B (dim 768; 12 optical, 6 radar, 6 joint layers) and DOFA ViT-B/16 hold the
    released files' tensors key for key, shape for shape (built on the meta device)."""
    from mars.models.backbones.baselines.croma import SAR_BANDS
    from mars.models.backbones.baselines.dofa import DROPPED
    from mars.testing.released_layouts import croma_shapes, dofa_shapes
    with torch.device('meta'):
        croma = CROMABackbone(in_channels=14, modality='both', optical_bands=OPTICAL_BANDS,
                              sar_bands=SAR_BANDS)
        dofa = DOFABackbone()
    released = croma_shapes(768, 12)
    assert {k: tuple(v.shape) for k, v in croma.model.state_dict().items()} == {
        f'{part}.{key}': shape for part in ('s2_encoder', 's1_encoder', 'joint_encoder')
        for key, shape in released[part].items()}
    assert {k: tuple(v.shape) for k, v in dofa.model.state_dict().items()} == {
        key: shape for key, shape in dofa_shapes(768, 12).items() if key not in DROPPED}
