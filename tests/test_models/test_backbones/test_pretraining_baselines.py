"""Scale-MAE, CrossMAE and GFM baselines: builds, their authors' released pretraining layouts
(random weights built by mars/testing/baseline_checkpoints.py), four feature levels,
Scale-MAE's GSD-scaled position encoding.

Layouts read from the authors' code: bair-climate-initiative/scale-mae
``scalemae/models_mae.py``, ``scalemae/lib/fpn.py``, ``scalemae/util/pos_embed.py`` (the
encoding); TonyLianLong/CrossMAE ``models_cross.py``, ``transformer_utils.py``; mmendiet/GFM
``models/teacher.py`` (SimMIM wrapper, ``load_pretrained``), ``models/swin_transformer.py``
and README (``simmim_pretrain__swin_base__img192_window6``).
"""
import logging

import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger

from mars.models.backbones.baselines import (BASELINE_ARCHS, CheckpointFormat,
                                             BaselineBackbone, baseline_channels,
                                             register_baseline_arch, register_checkpoint_format)
from mars.models.backbones.baselines.scalemae import gsd_sincos_pos_embed
from mars.testing.baseline_checkpoints import authors_checkpoint

TINY = ('scalemae-tiny', 'crossmae-tiny', 'gfm-tiny')


@pytest.fixture
def log():
    """The messages logged to mmengine's current logger during the test, as ``log.text``."""
    class Collector(logging.Handler):
        text = ''

        def emit(self, record):
            Collector.text += record.getMessage() + '\n'

    logger = MMLogger.get_current_instance()
    handler = Collector()
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def save(obj, tmp_path, name):
    path = tmp_path / name
    torch.save(obj, path)
    return str(path)


@pytest.mark.parametrize('arch', TINY)
@pytest.mark.parametrize('in_channels', [3, 1])
def test_authors_layout_loads_completely_and_gives_four_levels(arch, in_channels, tmp_path,
                                                               log):
    checkpoint, encoder = authors_checkpoint(arch)
    path = save(checkpoint, tmp_path, f'{arch}.pth')
    backbone = BaselineBackbone(arch=arch, in_channels=in_channels, pretrained=path)
    result = backbone.load_baseline_state_dict(checkpoint, path)
    assert result.missing_keys == [] and result.unexpected_keys == []
    backbone.init_weights()
    assert 'missing keys: none, unexpected keys: none' in log.text
    own = backbone.model.state_dict()
    # A block's weights (GFM: a patch merging moved from the end of stage 0 to timm's stage
    # 1, under SimMIM's `encoder.` prefix) arrive unchanged.
    key = ('layers.1.downsample.reduction.weight' if arch == 'gfm-tiny'
           else 'blocks.1.attn.qkv.weight')
    torch.testing.assert_close(own[key], encoder[key])
    embed = encoder[backbone.embed_key]
    expected = embed if in_channels == 3 else embed.sum(dim=1, keepdim=True)
    torch.testing.assert_close(own[backbone.embed_key], expected)
    with torch.no_grad():
        outs = backbone.eval()(torch.randn(2, in_channels, 64, 96))
    assert [tuple(o.shape) for o in outs] == [
        (2, c, 64 // s, 96 // s) for c, s in zip(backbone.out_channels, (4, 8, 16, 32))]
    assert backbone.out_channels == baseline_channels(arch)


def test_dropped_pretraining_parts_are_logged(tmp_path, log):
    for arch, expected in (
            ('scalemae-tiny', 'Scale-MAE MAE decoder dropped (14 tensors)'),
            ('crossmae-tiny', 'CrossMAE cross-attention decoder dropped (10 tensors)')):
        checkpoint, _ = authors_checkpoint(arch)
        BaselineBackbone(arch=arch).load_baseline_state_dict(checkpoint, f'{arch}.pth')
        assert expected in log.text
    assert 'fixed sin-cos pos_embed (1, 197, 32) dropped: Scale-MAE computes its ' \
           'GSD-scaled encoding at every forward (input_res = 1 * 224 / input side)' in log.text
    # CrossMAE keeps its (sin-cos) table as timm's learned one, resampled as SatMAE's.
    assert 'pos_embed resampled from (1, 197, 32) to (1, 1025, 32)' in log.text
    checkpoint, _ = authors_checkpoint('gfm-tiny')
    teacher = sum(k.startswith('teacher.') for k in checkpoint['model'])
    BaselineBackbone(arch='gfm-tiny').load_baseline_state_dict(checkpoint, 'gfm.pth')
    # decoder (2) + projector (2) + teacher + encoder.mask_token
    assert f'GFM (SimMIM) decoder, projector, teacher and mask token dropped ' \
           f'({5 + teacher} tensors)' in log.text
    # SimMIM's window 6 (11x11 table) resized to GFM's fine-tuning window 8 (15x15).
    assert 'relative position bias tables resized' in log.text
    assert '(121, 1) -> (225, 1)' in log.text


def _mae_sincos(dim, size, res=1.0):
    """The MAE / Scale-MAE numpy encoding (util/pos_embed.py: get_2d_sincos_pos_embed, its
    grid multiplied by ``res`` as get_2d_sincos_pos_embed_with_resolution does): w first."""
    def one_axis(d, pos):
        omega = 1.0 / 10000 ** (np.arange(d // 2, dtype=np.float64) / (d / 2.0))
        out = np.einsum('m,d->md', pos.reshape(-1), omega)
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)

    grid = np.meshgrid(np.arange(size, dtype=np.float64), np.arange(size, dtype=np.float64))
    grid = np.stack(grid, axis=0) * res
    return np.concatenate([one_axis(dim // 2, grid[0]), one_axis(dim // 2, grid[1])], axis=1)


@pytest.mark.parametrize('res', [1.0, 0.4375, 2.5])
def test_gsd_encoding_is_the_authors(res):
    ours = gsd_sincos_pos_embed(32, 5, 5, res)
    np.testing.assert_allclose(ours.numpy(), _mae_sincos(32, 5, res), atol=1e-5)
    # Non-square grids: rows and columns of the same positions.
    wide = gsd_sincos_pos_embed(32, 3, 5, res).reshape(3, 5, 32)
    torch.testing.assert_close(wide, ours.reshape(5, 5, 32)[:3])


def test_scalemae_position_encoding_follows_the_gsd():
    x = torch.zeros(1, 4, 4, 32)  # NHWC patch tokens of a 64 px input
    default = BaselineBackbone(arch='scalemae-tiny').eval().model
    # Scale-MAE's downstream choice: 1.0 * 224 / 64 for a 64 px input.
    assert default.resolution(4, 4) == pytest.approx(224 / 64)
    tokens = default._pos_embed(x)
    assert tokens.shape == (1, 17, 32)
    torch.testing.assert_close(tokens[0, 0], default.cls_token[0, 0])  # zero encoding
    torch.testing.assert_close(tokens[0, 1:], torch.from_numpy(
        _mae_sincos(32, 4, 224 / 64)).float(), atol=1e-5, rtol=0)
    fine = BaselineBackbone(arch='scalemae-tiny', arch_options=dict(base_resolution=0.5))
    assert fine.model.resolution(4, 4) == pytest.approx(0.5 * 224 / 64)
    fixed = BaselineBackbone(arch='scalemae-tiny', arch_options=dict(input_res=2.0))
    assert fixed.model.resolution(4, 4) == fixed.model.resolution(32, 8) == 2.0
    # The encoding changes the features: same weights, another GSD, other outputs.
    fixed.load_state_dict(BaselineBackbone(arch='scalemae-tiny').state_dict())
    other = BaselineBackbone(arch='scalemae-tiny', arch_options=dict(input_res=1.0))
    other.load_state_dict(fixed.state_dict())
    image = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert not torch.allclose(fixed.eval()(image)[2], other.eval()(image)[2])


def test_arch_options_are_checked():
    with pytest.raises(KeyError, match=r"arch_options \['gsd'\] are not settings of "
                       r"'scalemae-tiny'; it takes \['base_resolution', 'input_res'"):
        BaselineBackbone(arch='scalemae-tiny', arch_options=dict(gsd=0.3))
    with pytest.raises(KeyError, match=r"arch_options \['input_res'\] are not settings of "
                       r"'crossmae-tiny'; it takes none"):
        BaselineBackbone(arch='crossmae-tiny', arch_options=dict(input_res=1.0))
    with pytest.raises(ValueError, match=r'arch_options\.input_res must be positive'):
        BaselineBackbone(arch='scalemae-tiny', arch_options=dict(input_res=0))


def test_files_of_another_layout_are_refused(tmp_path):
    plain = {k: v for k, v in authors_checkpoint('crossmae-tiny')[1].items()}
    path = save(plain, tmp_path, 'vit_plain.pth')
    with pytest.raises(ValueError, match=r'vit_plain\.pth: no cross-attention decoder keys '
                       r"\(decoder_\*.*not a CrossMAE pretraining checkpoint.*"
                       r"checkpoint_format='timm'"):
        BaselineBackbone(arch='crossmae-tiny', pretrained=path).init_weights()
    path = save(plain, tmp_path, 'vit_plain.pth')
    with pytest.raises(ValueError, match=r'vit_plain\.pth: no encoder\.\* keys nor '
                       r'layers\.0\.blocks\.0\.attn\.qkv\.weight; not a GFM \(SimMIM\)'):
        BaselineBackbone(arch='gfm-tiny', pretrained=path).init_weights()


def test_gfm_encoder_only_file_and_pretraining_window(tmp_path, log):
    """GFM's loader takes a file with or without SimMIM's `encoder.` prefix: so do we."""
    checkpoint, encoder = authors_checkpoint('gfm-tiny')
    encoder_only = {k[len('encoder.'):]: v for k, v in checkpoint['model'].items()
                    if k.startswith('encoder.') and k != 'encoder.mask_token'}
    path = save(dict(model=encoder_only), tmp_path, 'gfm_encoder.pth')
    backbone = BaselineBackbone(arch='gfm-tiny', pretrained=path)
    result = backbone.load_baseline_state_dict(dict(model=encoder_only), path)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert 'gfm_encoder.pth: no encoder.* keys: an encoder-only GFM (SimMIM) file' in log.text
    # The pretraining window (6) kept: no table resized.
    log.text = ''
    six = BaselineBackbone(arch='gfm-tiny', arch_options=dict(window_size=6))
    result = six.load_baseline_state_dict(checkpoint, 'gfm.pth')
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert 'resized' not in log.text
    torch.testing.assert_close(
        six.model.layers[2].blocks[0].attn.relative_position_bias_table,
        encoder['layers.2.blocks.0.attn.relative_position_bias_table'])
    with torch.no_grad():
        assert [o.shape[-1] for o in six.eval()(torch.randn(1, 3, 64, 64))] == [16, 8, 4, 2]


def test_registration_refuses_taken_names():
    with pytest.raises(KeyError, match=r"baseline arch 'gfm-swin-b' is registered already"):
        register_baseline_arch('gfm-swin-b', timm_name='resnet50', family='cnn')
    with pytest.raises(KeyError, match=r"checkpoint format 'simmim' is registered already"):
        register_checkpoint_format('simmim', CheckpointFormat('a', 'b', 'c', None, None))
    assert BASELINE_ARCHS['scalemae-vit-l16']['checkpoint_format'] == 'scalemae'
    assert baseline_channels('scalemae-vit-l16') == [256, 512, 1024, 1024]
    assert baseline_channels('crossmae-vit-b16') == [192, 384, 768, 768]
    assert baseline_channels('gfm-swin-b') == [128, 256, 512, 1024]


def test_multimodal_wrapper_with_a_gfm_encoder(tmp_path):
    from mars.models.backbones import MaRSMultiModalBackbone
    checkpoint, encoder = authors_checkpoint('gfm-tiny')
    path = save(checkpoint, tmp_path, 'gfm.pth')
    backbone = MaRSMultiModalBackbone(
        modalities=dict(rgb=dict(in_channels=3, pretrained=path),
                        sar=dict(in_channels=1, pretrained=path)),
        encoder=dict(type='BaselineBackbone', arch='gfm-tiny'), fusion='sum')
    backbone.init_weights()
    torch.testing.assert_close(backbone.encoders['sar'].model.patch_embed.proj.weight,
                               encoder['patch_embed.proj.weight'].sum(dim=1, keepdim=True))
    with torch.no_grad():
        outs = backbone.eval()(torch.randn(1, 4, 64, 64), torch.tensor([[True, True]]))
    assert [o.shape[1] for o in outs] == [32, 64, 128, 256]


def test_result_tables_name_non_default_arch_options():
    from mars.models.backbone_name import backbone_name
    base = dict(type='BaselineBackbone', arch='scalemae-vit-l16')
    assert backbone_name(dict(base, arch_options=dict(
        base_resolution=1.0, reference_size=224, input_res=None))) == 'scalemae-vit-l16'
    assert backbone_name(dict(base, arch_options=dict(input_res=0.3))) == \
        'scalemae-vit-l16 (input_res=0.3)'
    assert backbone_name(dict(type='BaselineBackbone', arch='gfm-swin-b',
                              arch_options=dict(window_size=6))) == 'gfm-swin-b (window_size=6)'
