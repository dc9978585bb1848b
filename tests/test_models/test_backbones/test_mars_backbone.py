import pytest
import timm
import torch

from mars.models.backbones import MaRSBackbone
from mars.models.backbones.mars_backbone import MARS_ARCHS, arch_channels

TINY = MARS_ARCHS['tiny']


def timm_tiny(features_only=True, in_chans=3, **kwargs):
    """A randomly initialised timm SwinV2 with the tiny arch, as MaRS was released."""
    torch.manual_seed(0)
    return timm.create_model(
        TINY['timm_name'], pretrained=False, features_only=features_only, in_chans=in_chans,
        img_size=512, **dict(TINY['timm_kwargs'], **kwargs)).eval()


def save(obj, tmp_path, name='ckpt.pth'):
    path = tmp_path / name
    torch.save(obj, path)
    return str(path)


def loaded_backbone(checkpoint, **kwargs):
    backbone = MaRSBackbone(
        arch='tiny', init_cfg=dict(type='Pretrained', checkpoint=checkpoint), **kwargs)
    backbone.init_weights()
    return backbone.eval()


def test_released_form_reproduces_timm_features_exactly(tmp_path):
    reference = timm_tiny()
    state_dict = reference.state_dict()
    assert any(k.startswith('layers_0.') for k in state_dict)  # the released naming
    checkpoint = save(state_dict, tmp_path)

    backbone = MaRSBackbone(arch='tiny', init_cfg=dict(type='Pretrained', checkpoint=checkpoint))
    result = backbone.load_mars_state_dict(state_dict)
    assert result.missing_keys == [] and result.unexpected_keys == []
    backbone.init_weights()
    backbone.eval()

    x = torch.randn(1, 3, 512, 512)
    with torch.no_grad():
        expected = [f.permute(0, 3, 1, 2) for f in reference(x)]
        outputs = backbone(x)
    assert len(outputs) == 4
    for out, ref in zip(outputs, expected):
        assert out.is_contiguous()
        assert torch.equal(out, ref)


def test_pretrained_argument_is_init_cfg_shorthand(tmp_path):
    checkpoint = save(timm_tiny().state_dict(), tmp_path)
    backbone = MaRSBackbone(arch='tiny', pretrained=checkpoint)
    assert backbone.init_cfg == dict(type='Pretrained', checkpoint=checkpoint)
    with pytest.raises(ValueError, match='not both'):
        MaRSBackbone(arch='tiny', pretrained=checkpoint, init_cfg=dict(type='Pretrained'))


@pytest.mark.parametrize('form', ['raw', 'mmengine'])
@pytest.mark.parametrize('inner_naming', ['layers.', 'layers_'])
def test_raw_pretraining_checkpoint_picks_the_modality_encoder(tmp_path, inner_naming, form):
    rgb = timm_tiny(features_only=False).state_dict()
    sar = timm_tiny(features_only=False, in_chans=1).state_dict()
    sar = {k: v + 1 for k, v in sar.items()}  # distinguishable from the RGB weights

    def prefixed(state_dict, prefix):
        return {prefix + k.replace('layers.', inner_naming): v for k, v in state_dict.items()}

    model = {**prefixed(rgb, 'encoder_rgb.encoder.'), **prefixed(sar, 'encoder_sar.encoder.'),
             'decoder_rgb.0.weight': torch.zeros(1), 'mask_token': torch.zeros(1, 1, 32)}
    # The authors' raw file nests the model under 'model'; MaRSPretrainModel's mmengine
    # checkpoints hold the same keys under 'state_dict'.
    checkpoint = save({'model': model, 'epoch': 3} if form == 'raw' else
                      {'state_dict': model, 'meta': dict(epoch=3)}, tmp_path)

    backbone = loaded_backbone(checkpoint, in_channels=1, modality='sar')
    key = 'layers_2.blocks.1.attn.qkv.weight'
    assert torch.equal(backbone.encoder.state_dict()[key], sar['layers.2.blocks.1.attn.qkv.weight'])
    assert torch.equal(backbone.encoder.state_dict()['patch_embed.proj.weight'],
                       sar['patch_embed.proj.weight'])

    with pytest.raises(KeyError, match='encoder_optical'):
        loaded_backbone(checkpoint, modality='optical')


def test_plain_timm_state_dict_loads_without_missing_keys(tmp_path):
    plain = timm_tiny(features_only=False).state_dict()
    assert 'head.fc.weight' in plain and 'layers.1.downsample.reduction.weight' in plain
    checkpoint = save(plain, tmp_path)
    backbone = loaded_backbone(checkpoint)
    own = backbone.encoder.state_dict()
    for key, value in plain.items():
        if key.startswith('layers.'):
            assert torch.equal(own[key.replace('layers.', 'layers_', 1)], value)

    from mars.utils.mars_checkpoint import to_released_form
    result = backbone.load_mars_state_dict(to_released_form(plain))
    assert result.missing_keys == [] and result.unexpected_keys == []


def test_mmengine_checkpoint_of_a_model_is_unwrapped(tmp_path):
    state_dict = timm_tiny().state_dict()
    checkpoint = save({'meta': {}, 'state_dict': state_dict}, tmp_path)
    backbone = loaded_backbone(checkpoint)
    assert torch.equal(backbone.encoder.layers_3.blocks[1].mlp.fc2.weight,
                       state_dict['layers_3.blocks.1.mlp.fc2.weight'])


def test_shape_mismatch_is_refused_naming_the_key(tmp_path):
    wider = timm_tiny(embed_dim=48).state_dict()
    checkpoint = save(wider, tmp_path)
    with pytest.raises(ValueError, match=r'shape mismatch for patch_embed\.proj\.weight'):
        loaded_backbone(checkpoint)


def test_in_channels_three_to_one_takes_the_mean_filter(tmp_path):
    rgb = timm_tiny().state_dict()
    backbone = loaded_backbone(save(rgb, tmp_path), in_channels=1)
    expected = rgb['patch_embed.proj.weight'].mean(dim=1, keepdim=True)
    assert torch.equal(backbone.encoder.patch_embed.proj.weight.data, expected)


def test_in_channels_one_to_three_repeats_and_scales(tmp_path):
    sar_model = timm_tiny(in_chans=1, strict_img_size=False)
    backbone = loaded_backbone(save(sar_model.state_dict(), tmp_path), in_channels=3)
    # A 3-band image made of the same band gives the SAR model's features.
    x = torch.randn(1, 1, 256, 256)
    with torch.no_grad():
        expected = sar_model(x)[-1].permute(0, 3, 1, 2)
        actual = backbone(x.repeat(1, 3, 1, 1))[-1]
    torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-4)


def test_in_channels_without_a_rule_is_refused(tmp_path):
    checkpoint = save(timm_tiny().state_dict(), tmp_path)
    with pytest.raises(ValueError, match='only 3 -> 1 and 1 -> N'):
        loaded_backbone(checkpoint, in_channels=4)


@pytest.mark.parametrize('height, width', [(256, 256), (800, 800), (224, 352), (1024, 512)])
def test_any_multiple_of_32_gives_strided_nchw_features(height, width):
    backbone = MaRSBackbone(arch='tiny').eval()
    with torch.no_grad():
        outputs = backbone(torch.randn(1, 3, height, width))
    for out, channels, stride in zip(outputs, arch_channels('tiny'), (4, 8, 16, 32)):
        assert out.shape == (1, channels, height // stride, width // stride)


def test_size_not_multiple_of_32_is_refused():
    with pytest.raises(ValueError, match='divisible by 32, got 100x128'):
        MaRSBackbone(arch='tiny')(torch.randn(1, 3, 100, 128))


def test_out_indices_select_stages_and_channels():
    backbone = MaRSBackbone(arch='tiny', out_indices=(1, 3))
    assert backbone.out_channels == [64, 256]
    outputs = backbone(torch.randn(1, 3, 64, 64))
    assert [o.shape[1] for o in outputs] == [64, 256]


def test_real_arch_channels_are_exposed():
    assert arch_channels('base') == [128, 256, 512, 1024]
    assert arch_channels('large', (2, 3)) == [768, 1536]
    with pytest.raises(KeyError, match='unknown MaRS arch'):
        arch_channels('huge')


def test_frozen_stages_stay_frozen_in_train_mode():
    backbone = MaRSBackbone(arch='tiny', frozen_stages=2)
    backbone.train()
    encoder = backbone.encoder
    for module in (encoder.patch_embed, encoder.layers_0, encoder.layers_1):
        assert not module.training
        assert not any(p.requires_grad for p in module.parameters())
    assert encoder.layers_2.training
    assert all(p.requires_grad for p in encoder.layers_2.parameters())


def test_drop_path_rate_reaches_the_blocks():
    backbone = MaRSBackbone(arch='tiny', drop_path_rate=0.3)
    last_block = backbone.encoder.layers_3.blocks[-1]
    assert last_block.drop_path1.drop_prob == pytest.approx(0.3)


def test_gradient_checkpointing_gives_the_same_output_and_gradients():
    torch.manual_seed(0)
    plain = MaRSBackbone(arch='tiny', drop_path_rate=0.)
    checkpointed = MaRSBackbone(arch='tiny', drop_path_rate=0., with_cp=True)
    checkpointed.load_state_dict(plain.state_dict())
    assert checkpointed.encoder.layers_0.grad_checkpointing
    x = torch.randn(1, 3, 64, 64)
    grads = []
    for model in (plain, checkpointed):
        model.zero_grad()
        sum(o.sum() for o in model(x)).backward()
        grads.append(model.encoder.patch_embed.proj.weight.grad.clone())
    torch.testing.assert_close(grads[0], grads[1])


def test_checkpoint_without_encoder_weights_is_refused(tmp_path):
    checkpoint = save({'state_dict': {'backbone.stem.weight': torch.zeros(1)}}, tmp_path)
    with pytest.raises(ValueError, match=r"none of its 1 tensors.*backbone\.stem\.weight"):
        loaded_backbone(checkpoint)
