import pytest
import torch.nn as nn
from mmdet.registry import OPTIM_WRAPPER_CONSTRUCTORS as DET_CONSTRUCTORS
from mmseg.registry import OPTIM_WRAPPER_CONSTRUCTORS as SEG_CONSTRUCTORS

from mars.engine.layer_decay_constructor import layer_id, stage_depths
from mars.models.backbones import MaRSBackbone

OPTIM_WRAPPER = dict(type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05))


class TinySegmentor(nn.Module):

    def __init__(self):
        super().__init__()
        self.backbone = MaRSBackbone(arch='tiny')
        self.decode_head = nn.Conv2d(256, 2, 1)


def build_optimizer(registry, rate):
    constructor = registry.build(dict(
        type='MaRSLayerDecayOptimizerConstructor', optim_wrapper_cfg=OPTIM_WRAPPER,
        paramwise_cfg=dict(layer_decay_rate=rate)))
    model = TinySegmentor()
    return model, constructor(model).optimizer


def group_of(optimizer, param):
    return next(g for g in optimizer.param_groups if any(p is param for p in g['params']))


@pytest.mark.parametrize('registry', [SEG_CONSTRUCTORS, DET_CONSTRUCTORS])
def test_lr_decays_per_swin_block(registry):
    model, optimizer = build_optimizer(registry, rate=0.5)
    encoder = model.backbone.encoder
    num_layers = 2 + 2 + 2 + 2 + 1  # tiny arch blocks + patch embedding

    head = group_of(optimizer, model.decode_head.weight)
    assert head['lr'] == pytest.approx(1e-3) and head['weight_decay'] == 0.05
    embed = group_of(optimizer, encoder.patch_embed.proj.weight)
    assert embed['lr'] == pytest.approx(1e-3 * 0.5 ** num_layers)
    # Block j of stage i sits at depth 1 + blocks before it; each step halves the lr.
    first = group_of(optimizer, encoder.layers_0.blocks[0].attn.qkv.weight)
    last = group_of(optimizer, encoder.layers_3.blocks[1].attn.qkv.weight)
    assert first['lr'] == pytest.approx(1e-3 * 0.5 ** (num_layers - 1))
    assert last['lr'] == pytest.approx(1e-3 * 0.5)
    merge = group_of(optimizer, encoder.layers_2.downsample.reduction.weight)
    assert merge['lr'] == pytest.approx(1e-3 * 0.5 ** (num_layers - 4))


def test_norms_biases_and_swinv2_scales_get_no_weight_decay():
    model, optimizer = build_optimizer(SEG_CONSTRUCTORS, rate=0.9)
    block = model.backbone.encoder.layers_1.blocks[0]
    for param in (block.norm1.weight, block.attn.proj.bias, block.attn.logit_scale,
                  block.attn.cpb_mlp[0].weight, model.decode_head.bias):
        assert group_of(optimizer, param)['weight_decay'] == 0
    assert group_of(optimizer, block.attn.qkv.weight)['weight_decay'] == 0.05
    total = sum(len(g['params']) for g in optimizer.param_groups)
    assert total == len(list(model.parameters()))


def test_depths_are_read_from_parameter_names():
    names = ['backbone.encoders.rgb.encoder.layers_0.blocks.1.mlp.fc1.weight',
             'backbone.encoders.rgb.encoder.layers_1.blocks.0.mlp.fc1.weight',
             'backbone.encoders.rgb.encoder.layers_2.blocks.17.mlp.fc1.weight']
    depths = stage_depths(names)
    assert depths == [2, 1, 18]
    assert layer_id(names[2], depths) == 1 + 2 + 1 + 17
    assert layer_id('decode_head.conv_seg.weight', depths) == sum(depths) + 1


def test_unknown_paramwise_keys_are_refused():
    with pytest.raises(KeyError, match='norm_decay_mult'):
        SEG_CONSTRUCTORS.build(dict(
            type='MaRSLayerDecayOptimizerConstructor', optim_wrapper_cfg=OPTIM_WRAPPER,
            paramwise_cfg=dict(layer_decay_rate=0.9, norm_decay_mult=0.)))
