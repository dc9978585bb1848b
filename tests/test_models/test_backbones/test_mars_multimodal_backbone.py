import pytest
import torch
from mmdet.registry import MODELS as DET_MODELS
from mmseg.registry import MODELS as SEG_MODELS
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS

from mars.models.backbones import MaRSMultiModalBackbone
from mars.models.backbones.mars_backbone import arch_channels
from mars.models.backbones.modality_fusion import AttentionFusion, SumFusion

BOTH = [True, True]
RGB_ONLY = [True, False]


def tiny_backbone(**kwargs):
    torch.manual_seed(0)
    kwargs.setdefault('attention_cfg', dict(num_heads=4, num_rounds=2))
    return MaRSMultiModalBackbone(arch='tiny', drop_path_rate=0., **kwargs).eval()


def run(backbone, x, mask):
    with torch.no_grad():
        return backbone(x, torch.tensor(mask, dtype=torch.bool))


@pytest.fixture
def x():
    torch.manual_seed(1)
    return torch.randn(2, 4, 64, 64)


@pytest.mark.parametrize('fusion', ['sum', 'mean'])
def test_sum_and_mean_of_a_sample_without_sar_are_the_rgb_branch(x, fusion):
    backbone = tiny_backbone(fusion=fusion)
    outs = run(backbone, x, [BOTH, RGB_ONLY])
    with torch.no_grad():
        rgb = backbone.encoders['rgb'](x[:, :3])
        sar = backbone.encoders['sar'](x[:, 3:])
    scale = 0.5 if fusion == 'mean' else 1.
    for out, rgb_f, sar_f in zip(outs, rgb, sar):
        assert torch.equal(out[1], rgb_f[1])
        assert torch.allclose(out[0], (rgb_f[0] + sar_f[0]) * scale)


def test_attention_never_attends_a_missing_modality(x):
    backbone = tiny_backbone(fusion='attention')
    assert isinstance(backbone.fusions[-1], AttentionFusion)
    assert all(isinstance(f, SumFusion) for f in backbone.fusions[:-1])
    mixed = run(backbone, x, [BOTH, RGB_ONLY])
    rgb_alone = run(backbone, x, [RGB_ONLY, RGB_ONLY])  # SAR encoder not run at all
    other_sar = x.clone()
    other_sar[1, 3:] = torch.randn(1, 64, 64) * 10
    changed = run(backbone, other_sar, [BOTH, RGB_ONLY])
    for out, ref, out_changed in zip(mixed, rgb_alone, changed):
        assert torch.equal(out[1], ref[1])
        assert torch.equal(out[1], out_changed[1])
    # Both present: SAR does change the deepest (attention-fused) features.
    assert not torch.allclose(mixed[-1][0], rgb_alone[-1][0])


def test_attention_stages_choose_where_attention_fuses():
    backbone = tiny_backbone(fusion='attention', attention_stages=(2, 3))
    assert [type(f).__name__ for f in backbone.fusions] == \
        ['SumFusion', 'SumFusion', 'AttentionFusion', 'AttentionFusion']
    with pytest.raises(ValueError, match='not in out_indices'):
        tiny_backbone(fusion='attention', out_indices=(0, 1), attention_stages=(3, ))


def test_concat_keeps_stage_channels_and_zero_fills_missing_features(x):
    backbone = tiny_backbone(fusion='concat')
    outs = run(backbone, x, [BOTH, RGB_ONLY])
    assert [tuple(o.shape) for o in outs] == \
        [(2, c, 64 // s, 64 // s) for c, s in zip(arch_channels('tiny'), (4, 8, 16, 32))]
    assert backbone.out_channels == arch_channels('tiny')
    with torch.no_grad():
        rgb = backbone.encoders['rgb'](x[:, :3])
        deepest = rgb[-1][1:]
        expected = backbone.fusions[-1].proj(torch.cat([deepest, torch.zeros_like(deepest)], 1))
    assert torch.allclose(outs[-1][1:], expected)
    # Initialised as a sum, so fine-tuning starts from the authors' fusion.
    assert torch.allclose(outs[-1][1], rgb[-1][1], atol=1e-5)


def test_encoder_of_a_modality_missing_in_the_whole_batch_is_not_run(x):
    backbone = tiny_backbone()
    calls = []
    backbone.encoders['sar'].register_forward_hook(lambda *args: calls.append(1))
    run(backbone, x, [RGB_ONLY, RGB_ONLY])
    assert calls == []
    run(backbone, x, [RGB_ONLY, BOTH])
    assert calls == [1]


def test_modality_dropout_never_drops_every_modality_of_a_sample():
    backbone = tiny_backbone(modality_dropout=dict(rgb=0.5, sar=0.9))
    torch.manual_seed(0)
    mask = torch.ones(20000, 2, dtype=torch.bool)
    mask[:1000, 0] = False  # SAR-only samples must stay SAR-only
    kept = backbone.drop_modalities(mask)
    assert kept.any(dim=1).all()
    assert not (kept & ~mask).any()
    assert kept[:1000, 1].all()
    # Rates: rgb dropped 0.5 * (1 - 0.9) + 0.5 * 0.9 / 2 = 0.275 of the full samples.
    rgb_drop = 1 - kept[1000:, 0].float().mean().item()
    assert rgb_drop == pytest.approx(0.275, abs=0.02)


def test_modality_dropout_is_training_only(x):
    backbone = tiny_backbone(modality_dropout=dict(rgb=1., sar=1.))
    reference = tiny_backbone()
    for out, ref in zip(run(backbone, x, [BOTH, BOTH]), run(reference, x, [BOTH, BOTH])):
        assert torch.equal(out, ref)
    backbone.train()
    seen = []
    backbone.encoders['rgb'].register_forward_hook(lambda *args: seen.append('rgb'))
    backbone.encoders['sar'].register_forward_hook(lambda *args: seen.append('sar'))
    with torch.no_grad():
        backbone(x[:1])  # one sample, both dropped: exactly one modality is kept
    assert len(seen) == 1


def test_errors_name_what_was_expected(x):
    backbone = tiny_backbone()
    with pytest.raises(ValueError, match=r'\[B, 4, H, W\].*rgb 3 \+ sar 1.*\(2, 3, 64, 64\)'):
        backbone(x[:, :3])
    with pytest.raises(ValueError, match=r'modality_mask must have shape \[B, M\] = \[2, 2\]'):
        backbone(x, torch.ones(2, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match=r'samples \[1\].*no modality present'):
        backbone(x, torch.tensor([[True, False], [False, False]]))
    with pytest.raises(KeyError, match=r'modalities.sar: unsupported keys \[.arch.\]'):
        MaRSMultiModalBackbone(arch='tiny', modalities=dict(
            rgb=dict(in_channels=3), sar=dict(in_channels=1, arch='base')))
    with pytest.raises(KeyError, match='modality_dropout.optical'):
        tiny_backbone(modality_dropout=dict(optical=0.1))
    with pytest.raises(ValueError, match="unknown fusion 'max'"):
        tiny_backbone(fusion='max')


def test_per_modality_settings_override_the_shared_ones():
    backbone = tiny_backbone(frozen_stages=1, modalities=dict(
        rgb=dict(in_channels=3), sar=dict(in_channels=2, frozen_stages=-1)))
    assert backbone.modality_channels == (3, 2)
    assert not backbone.encoders['rgb'].encoder.patch_embed.proj.weight.requires_grad
    assert backbone.encoders['sar'].encoder.patch_embed.proj.weight.requires_grad
    assert backbone.encoders['sar'].modality == 'sar'


@pytest.mark.parametrize('registry', [SEG_MODELS, DET_MODELS])
def test_backbone_is_in_mmseg_and_mmdet_registries(registry):
    backbone = registry.build(dict(type='MaRSMultiModalBackbone', arch='tiny'))
    assert isinstance(backbone, MaRSMultiModalBackbone)


def test_each_encoder_loads_its_own_checkpoint(tiny_encoder_checkpoint):
    rgb_path, rgb = tiny_encoder_checkpoint('rgb.pth', in_chans=3)
    sar_path, sar = tiny_encoder_checkpoint('sar.pth', in_chans=1, offset=1.)
    backbone = MaRSMultiModalBackbone(arch='tiny', modalities=dict(
        rgb=dict(in_channels=3, init_cfg=dict(type='Pretrained', checkpoint=rgb_path)),
        sar=dict(in_channels=1, init_cfg=dict(type='Pretrained', checkpoint=sar_path))))
    backbone.init_weights()
    key = 'layers_2.blocks.1.attn.qkv.weight'
    for name, expected in (('rgb', rgb), ('sar', sar)):
        own = backbone.encoders[name].encoder.state_dict()
        assert torch.equal(own[key], expected[key])
        assert torch.equal(own['patch_embed.proj.weight'], expected['patch_embed.proj.weight'])


def test_pretrained_raw_checkpoint_feeds_both_encoders(tmp_path, tiny_encoder_checkpoint):
    _, rgb = tiny_encoder_checkpoint('rgb.pth', in_chans=3)
    _, sar = tiny_encoder_checkpoint('sar.pth', in_chans=1, offset=1.)
    model = {**{f'encoder_rgb.encoder.{k}': v for k, v in rgb.items()},
             **{f'encoder_sar.encoder.{k}': v for k, v in sar.items()}}
    path = str(tmp_path / 'pretrain.pth')
    torch.save({'model': model}, path)
    backbone = MaRSMultiModalBackbone(arch='tiny', pretrained=path)
    backbone.init_weights()
    key = 'layers_3.blocks.0.mlp.fc1.weight'
    assert torch.equal(backbone.encoders['rgb'].encoder.state_dict()[key], rgb[key])
    assert torch.equal(backbone.encoders['sar'].encoder.state_dict()[key], sar[key])


def test_layer_decay_groups_both_encoders_by_depth():
    model = torch.nn.Module()
    model.backbone = tiny_backbone(fusion='attention')
    model.decode_head = torch.nn.Conv2d(256, 2, 1)
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type='MaRSLayerDecayOptimizerConstructor',
        optim_wrapper_cfg=dict(type='OptimWrapper',
                               optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05)),
        paramwise_cfg=dict(layer_decay_rate=0.5)))
    optimizer = constructor(model).optimizer

    def lr_of(param):
        return next(g['lr'] for g in optimizer.param_groups
                    if any(p is param for p in g['params']))

    num_layers = 2 + 2 + 2 + 2 + 1
    rgb, sar = (model.backbone.encoders[n].encoder for n in ('rgb', 'sar'))
    for depth, (rgb_p, sar_p) in enumerate([
            (rgb.patch_embed.proj.weight, sar.patch_embed.proj.weight),
            (rgb.layers_0.blocks[0].attn.qkv.weight, sar.layers_0.blocks[0].attn.qkv.weight)]):
        assert lr_of(rgb_p) == lr_of(sar_p) == pytest.approx(1e-3 * 0.5**(num_layers - depth))
    last = sar.layers_3.blocks[1].mlp.fc2.weight
    assert lr_of(last) == pytest.approx(1e-3 * 0.5)
    fusion = model.backbone.fusions[-1]
    for param in (fusion.joint[0].qkv.weight, fusion.intra[1]['sar'].mlp[0].weight):
        assert lr_of(param) == pytest.approx(1e-3)
    total = sum(len(g['params']) for g in optimizer.param_groups)
    assert total == len(list(model.parameters()))
