"""Comparison backbones (BaselineBackbone): builds, released key layouts, channels, levels."""
import argparse
import logging

import pytest
import timm
import torch
from mmdet.registry import MODELS as DET_MODELS
from mmengine.logging import MMLogger
from mmseg.registry import MODELS as SEG_MODELS

from mars.models.backbones.baselines import BASELINE_ARCHS, BaselineBackbone, baseline_channels

TINY = ('resnet-tiny', 'vit-tiny', 'swin-tiny', 'swinv2-tiny')
# The size each family's weights were released at (timm's pretrained configs).
RELEASE_SIZE = {'vit-tiny': 224, 'swin-tiny': 224, 'swinv2-tiny': 256}


def released_state_dict(arch, seed=0):
    """A random-weight state dict in the released layout: the whole timm classifier
    (head and final norm included) at its release image size, 3 input channels."""
    spec = BASELINE_ARCHS[arch]
    kwargs = dict(spec.get('timm_kwargs', {}))
    if arch in RELEASE_SIZE:
        kwargs['img_size'] = RELEASE_SIZE[arch]
    torch.manual_seed(seed)
    return timm.create_model(spec['timm_name'], pretrained=False, **kwargs).state_dict()


def satmae_checkpoint(arch='vit-tiny'):
    """SatMAE's main_pretrain.py file: {'model': MaskedAutoencoderViT state dict, ...}, the
    encoder in timm ViT keys plus the MAE decoder, with its saved arguments."""
    model = released_state_dict(arch)
    dim = model['cls_token'].shape[-1]
    model.update({
        'mask_token': torch.zeros(1, 1, 16), 'decoder_embed.weight': torch.zeros(16, dim),
        'decoder_embed.bias': torch.zeros(16), 'decoder_pos_embed': torch.zeros(1, 197, 16),
        'decoder_norm.weight': torch.ones(16), 'decoder_pred.weight': torch.zeros(768, 16)})
    return dict(model=model, epoch=799, args=argparse.Namespace(model='mae_vit_large_patch16'))


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


def save(obj, tmp_path, name='weights.pth'):
    path = tmp_path / name
    torch.save(obj, path)
    return str(path)


def loaded(path, **kwargs):
    backbone = BaselineBackbone(pretrained=path, **kwargs)
    backbone.init_weights()
    return backbone.eval()


@pytest.mark.parametrize('arch', TINY)
@pytest.mark.parametrize('in_channels', [3, 1, 4])
def test_released_layout_loads_completely_and_gives_four_levels(arch, in_channels, log):
    state_dict = released_state_dict(arch)
    backbone = BaselineBackbone(arch=arch, in_channels=in_channels)
    result = backbone.load_baseline_state_dict(state_dict, 'released.pth')
    assert result.missing_keys == [] and result.unexpected_keys == []
    embed_key = backbone.embed_key
    own = backbone.model.state_dict()[embed_key]
    rgb = state_dict[embed_key]
    if in_channels == 1:
        torch.testing.assert_close(own, rgb.sum(dim=1, keepdim=True))
        assert 'adapted from 3 to 1 input channels (sum of the input filters' in \
            log.text
    elif in_channels == 4:
        torch.testing.assert_close(own, torch.cat([rgb, rgb[:, :1]], dim=1) * 3 / 4)
    else:
        torch.testing.assert_close(own, rgb)
    with torch.no_grad():
        outs = backbone.eval()(torch.randn(2, in_channels, 64, 96))
    assert [tuple(o.shape) for o in outs] == [
        (2, c, 64 // s, 96 // s) for c, s in zip(backbone.out_channels, (4, 8, 16, 32))]
    assert backbone.out_channels == baseline_channels(arch)


def test_vit_feature_pyramid_and_position_embedding(tmp_path, log):
    path = save(released_state_dict('vit-tiny'), tmp_path)
    backbone = loaded(path, arch='vit-tiny')
    # Released at 224 (14x14 patches), created at 512 (32x32).
    assert backbone.model.pos_embed.shape == (1, 1 + 32 * 32, 32)
    assert 'pos_embed resampled from (1, 197, 32) to (1, 1025, 32)' in log.text
    assert backbone.out_channels == [8, 16, 32, 32]
    x = torch.randn(1, 3, 128, 64)
    with torch.no_grad():
        outs = backbone(x)
        last = backbone.model.forward_intermediates(x, indices=[1], intermediates_only=True)[0]
    assert [o.shape[-2:] for o in outs] == [(32, 16), (16, 8), (8, 4), (4, 2)]
    torch.testing.assert_close(outs[2], last)  # stride 16 is the last block's map
    torch.testing.assert_close(outs[3], torch.nn.functional.max_pool2d(last, 2))

    authors = loaded(path, arch='vit-tiny', feature_pyramid='last')
    assert authors.out_channels == [32] and authors.pyramid is None
    with torch.no_grad():
        assert [tuple(o.shape) for o in authors(x)] == [(1, 32, 8, 4)]


def test_vit_refuses_sizes_not_divisible_by_32():
    with pytest.raises(ValueError, match=r'vit-tiny.*divisible by 32, got 48x64'):
        BaselineBackbone(arch='vit-tiny')(torch.zeros(1, 3, 48, 64))


def test_satmae_pretraining_checkpoint_loads_its_encoder(tmp_path, log):
    checkpoint = satmae_checkpoint()
    path = save(checkpoint, tmp_path, 'checkpoint_ViT-L_pretrain_fmow_rgb.pth')
    backbone = BaselineBackbone(arch='vit-tiny', checkpoint_format='satmae', pretrained=path)
    result = backbone.load_baseline_state_dict(checkpoint, path)
    assert result.missing_keys == [] and result.unexpected_keys == []
    backbone.init_weights()
    torch.testing.assert_close(backbone.model.blocks[1].attn.qkv.weight,
                               checkpoint['model']['blocks.1.attn.qkv.weight'])
    assert 'SatMAE MAE decoder dropped (6 tensors)' in log.text
    assert "classifier / final norm dropped, not used for features: ['head.bias'" in log.text
    assert 'missing keys: none, unexpected keys: none' in log.text


def test_satmae_arch_defaults_to_its_format():
    # Only the arch table is read: building ViT-L is too slow for a unit test.
    assert BASELINE_ARCHS['satmae-vit-l16']['checkpoint_format'] == 'satmae'
    assert baseline_channels('satmae-vit-l16') == [256, 512, 1024, 1024]
    assert baseline_channels('satmae-vit-l16', 'last') == [1024]
    assert baseline_channels('vit-b16') == [192, 384, 768, 768]
    assert baseline_channels('resnet50') == [256, 512, 1024, 2048]


def test_satmae_format_refuses_a_file_without_the_decoder(tmp_path):
    path = save(released_state_dict('vit-tiny'), tmp_path, 'plain_vit.pth')
    backbone = BaselineBackbone(arch='vit-tiny', checkpoint_format='satmae', pretrained=path)
    with pytest.raises(ValueError, match=r'plain_vit\.pth: no MAE decoder keys'):
        backbone.init_weights()


def test_shape_mismatch_is_refused_naming_the_key_and_file(tmp_path):
    state_dict = released_state_dict('swin-tiny')
    state_dict['layers.2.blocks.0.mlp.fc1.weight'] = torch.zeros(3, 3)
    path = save(state_dict, tmp_path, 'broken.pth')
    with pytest.raises(ValueError, match=r'broken\.pth: shape mismatch for '
                       r'layers\.2\.blocks\.0\.mlp\.fc1\.weight: checkpoint \(3, 3\)'):
        loaded(path, arch='swin-tiny')


def test_a_file_of_another_model_is_refused(tmp_path):
    path = save(released_state_dict('resnet-tiny'), tmp_path, 'resnet.pth')
    with pytest.raises(ValueError, match=r'resnet\.pth: (none of its|shape mismatch)'):
        loaded(path, arch='vit-tiny')
    path = save({'encoder.foo': torch.zeros(1)}, tmp_path, 'other.pth')
    with pytest.raises(ValueError, match=r'other\.pth: none of its 1 tensors'):
        loaded(path, arch='resnet-tiny')


@pytest.mark.parametrize('in_channels', [1, 4])
def test_authors_terratorch_mean_rule_is_a_switch(in_channels, log):
    state_dict = released_state_dict('resnet-tiny')
    backbone = BaselineBackbone(arch='resnet-tiny', in_channels=in_channels,
                                in_channels_rule='mean')
    result = backbone.load_baseline_state_dict(state_dict, 'released.pth')
    assert result.missing_keys == [] and result.unexpected_keys == []
    rgb = state_dict[backbone.embed_key]
    expected = rgb.mean(dim=1, keepdim=True)
    if in_channels == 4:
        expected = torch.cat([rgb, expected], dim=1)
    torch.testing.assert_close(backbone.model.state_dict()[backbone.embed_key], expected)
    assert "in_channels_rule='mean'" in log.text
    with pytest.raises(ValueError, match='in_channels_rule must be one of'):
        BaselineBackbone(arch='resnet-tiny', in_channels_rule='median')


def test_bad_arguments_are_refused():
    with pytest.raises(KeyError, match=r"unknown baseline arch 'vit-h'"):
        BaselineBackbone(arch='vit-h')
    with pytest.raises(ValueError, match='feature_pyramid'):
        BaselineBackbone(arch='vit-tiny', feature_pyramid='fpn')
    with pytest.raises(ValueError, match='checkpoint_format'):
        BaselineBackbone(arch='vit-tiny', checkpoint_format='mae')
    with pytest.raises(ValueError, match='either `pretrained` or `init_cfg`'):
        BaselineBackbone(arch='vit-tiny', pretrained='a.pth', init_cfg=dict(type='Pretrained'))


def test_registered_in_both_scopes():
    assert SEG_MODELS.get('BaselineBackbone') is BaselineBackbone
    assert DET_MODELS.get('BaselineBackbone') is BaselineBackbone


def test_safetensors_release_loads(tmp_path):
    from safetensors.torch import save_file
    state_dict = {k: v.contiguous() for k, v in released_state_dict('resnet-tiny').items()}
    path = str(tmp_path / 'model.safetensors')
    save_file(state_dict, path)
    backbone = loaded(path, arch='resnet-tiny')
    torch.testing.assert_close(backbone.model.layer3[0].conv1.weight,
                               state_dict['layer3.0.conv1.weight'])


def test_microsoft_swin_release_is_converted_by_timm(tmp_path, log):
    """Microsoft's swin_base_patch4_window7_224.pth layout: {'model': ...}, patch merging at
    the end of a stage (``layers.N.downsample`` for timm's ``layers.N+1``), ``head.*``,
    and the non-persistent buffers saved."""
    import re
    timm_form = released_state_dict('swin-tiny')
    microsoft = {}
    for key, value in timm_form.items():
        key = re.sub(r'layers\.(\d+)\.downsample',
                     lambda m: f'layers.{int(m.group(1)) - 1}.downsample', key)
        microsoft[key.replace('head.fc.', 'head.')] = value
    microsoft['layers.0.blocks.0.attn.relative_position_index'] = torch.zeros(49, 49).long()
    microsoft['layers.0.blocks.1.attn_mask'] = torch.zeros(1)
    assert 'layers.0.downsample.reduction.weight' in microsoft
    path = save({'model': microsoft}, tmp_path, 'swin_base_patch4_window7_224.pth')
    backbone = BaselineBackbone(arch='swin-tiny')
    result = backbone.load_baseline_state_dict({'model': microsoft}, path)
    assert result.missing_keys == [] and result.unexpected_keys == []
    torch.testing.assert_close(backbone.model.layers[1].downsample.reduction.weight,
                               timm_form['layers.1.downsample.reduction.weight'])
    assert 'missing keys: none, unexpected keys: none' in log.text


def test_multimodal_wrapper_with_baseline_encoders(tmp_path):
    from mars.models.backbones import MaRSMultiModalBackbone
    rgb_file = save(released_state_dict('vit-tiny', seed=0), tmp_path, 'rgb.pth')
    sar_file = save(released_state_dict('vit-tiny', seed=1), tmp_path, 'sar.pth')
    backbone = MaRSMultiModalBackbone(
        modalities=dict(rgb=dict(in_channels=3, pretrained=rgb_file),
                        sar=dict(in_channels=1, pretrained=sar_file)),
        encoder=dict(type='BaselineBackbone', arch='vit-tiny'), fusion='sum')
    backbone.init_weights()
    backbone.eval()
    assert backbone.out_channels == [8, 16, 32, 32]
    sar_embed = torch.load(sar_file)['patch_embed.proj.weight'].sum(dim=1, keepdim=True)
    torch.testing.assert_close(backbone.encoders['sar'].model.patch_embed.proj.weight,
                               sar_embed)
    x = torch.randn(2, 4, 64, 64)
    mask = torch.tensor([[True, True], [True, False]])
    with torch.no_grad():
        outs = backbone(x, mask)
        rgb_alone = backbone.encoders['rgb'](x[:, :3])
    assert [tuple(o.shape) for o in outs] == [(2, 8, 16, 16), (2, 16, 8, 8), (2, 32, 4, 4),
                                              (2, 32, 2, 2)]
    # The second sample has no SAR: it gets the RGB encoder's features alone.
    torch.testing.assert_close(outs[3][1], rgb_alone[3][1])


def test_siamese_wrapper_with_a_shared_baseline_encoder():
    from mars.models.backbones import MaRSSiameseBackbone
    backbone = MaRSSiameseBackbone(
        dates=dict(t1=dict(in_channels=3), t2=dict(in_channels=3)),
        encoder=dict(type='BaselineBackbone', arch='resnet-tiny'), fusion='stack').eval()
    assert isinstance(backbone.encoder, BaselineBackbone)
    assert backbone.out_channels == [128, 256, 512, 1024]
    with torch.no_grad():
        outs = backbone(torch.randn(1, 6, 64, 64))
    assert [tuple(o.shape) for o in outs] == [(1, 128, 16, 16), (1, 256, 8, 8),
                                              (1, 512, 4, 4), (1, 1024, 2, 2)]


def test_wrappers_refuse_mars_settings_for_baseline_encoders():
    from mars.models.backbones import MaRSMultiModalBackbone, MaRSSiameseBackbone
    vit = dict(type='BaselineBackbone', arch='vit-tiny')
    with pytest.raises(KeyError, match=r"modalities\.sar: \['frozen_stages'\] are MaRSBackbone"):
        MaRSMultiModalBackbone(modalities=dict(rgb=dict(in_channels=3),
                                               sar=dict(in_channels=1, frozen_stages=1)),
                               encoder=vit)
    with pytest.raises(KeyError, match=r"dates\.t1: \['modality'\] are MaRSBackbone"):
        MaRSSiameseBackbone(dates=dict(t1=dict(in_channels=3, modality='rgb'),
                                       t2=dict(in_channels=1, modality='sar')),
                            shared_encoder=False, encoder=vit)
    with pytest.raises(ValueError, match=r"modalities\.rgb: .*feature_pyramid must be 'simple'"):
        MaRSMultiModalBackbone(encoder=dict(vit, feature_pyramid='last'))
    with pytest.raises(ValueError, match=r'modalities\.rgb: .*out_indices=\(0, 1, 2, 3\)'):
        MaRSMultiModalBackbone(encoder=vit, out_indices=(1, 2, 3))
    with pytest.raises(ValueError,
                       match=r"encoder\.type must be one of \['BaselineBackbone', .*got 'ResNet'"):
        MaRSMultiModalBackbone(encoder=dict(type='ResNet', depth=50))


def test_torchvision_resnet_release_loads_with_its_own_keys(log):
    """torchvision's ResNet state dicts (the authors' ``torchvision://resnet50``) have
    timm's key names: a torchvision ResNet of the tiny layout loads with nothing missing."""
    from torchvision.models.resnet import BasicBlock, ResNet
    torch.manual_seed(0)
    state_dict = ResNet(BasicBlock, [1, 1, 1, 1]).state_dict()
    backbone = BaselineBackbone(arch='resnet-tiny')
    result = backbone.load_baseline_state_dict(state_dict, 'resnet-tv.pth')
    assert result.missing_keys == [] and result.unexpected_keys == []
    torch.testing.assert_close(backbone.model.layer4[0].downsample[0].weight,
                               state_dict['layer4.0.downsample.0.weight'])
    assert "dropped, not used for features: ['fc.bias', 'fc.weight']" in log.text
