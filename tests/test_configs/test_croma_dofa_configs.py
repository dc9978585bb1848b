"""CROMA and DOFA baseline configs: each swaps only the backbone of a MaRS config, and trains
one step at 64 px through the Runner (tiny variant, weights from a random file in the
authors' released layout, mars/testing/released_layouts.py)."""
import math

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from test_baseline_configs import DET, MARS_DET, MARS_SEG, SEG, SIZE, _without_backbone
from test_baseline_configs import sardet_root  # noqa: F401 (a fixture used below)

from mars.models.backbones.baselines import croma_channels, dofa_channels
from mars.testing.released_layouts import croma_checkpoint, dofa_state_dict
from mars.models.backbone_name import backbone_name

# baseline -> (backbone type, channels, tiny arch, released-file builder, a loaded weight
# that one training step moves, per the config's encoder).
CASES = {
    'croma-base': ('CROMABackbone', croma_channels, 'croma-tiny', croma_checkpoint),
    'dofa-vit-b16': ('DOFABackbone', dofa_channels, 'dofa-tiny', dofa_state_dict),
}
MOVED = {'croma-base': {'optical': ('s2_encoder', 'transformer.layers.0.0.to_qkv.weight'),
                        'SAR': ('s1_encoder', 'transformer.layers.0.0.to_qkv.weight')},
         'dofa-vit-b16': ('', 'blocks.0.attn.qkv.weight')}


@pytest.mark.parametrize('baseline', CASES)
def test_configs_swap_only_the_backbone(baseline):
    kind, channels_of, _, _ = CASES[baseline]
    channels = channels_of(baseline)
    seg, mars_seg = Config.fromfile(SEG.format(baseline)), Config.fromfile(MARS_SEG)
    assert seg.model.backbone.type == kind and seg.model.backbone.arch == baseline
    assert '_delete_' not in seg.model.backbone
    assert seg.model.backbone.init_cfg.checkpoint.startswith('checkpoints/baselines/')
    assert seg.model.decode_head.in_channels == channels
    assert seg.model.auxiliary_head.in_channels == channels[2]
    heads = ('decode_head.in_channels', 'auxiliary_head.in_channels')
    assert _without_backbone(seg, *heads) == _without_backbone(mars_seg, *heads)
    assert seg.train_dataloader == mars_seg.train_dataloader
    assert seg.optim_wrapper.type == 'OptimWrapper' and 'constructor' not in seg.optim_wrapper

    det, mars_det = Config.fromfile(DET.format(baseline)), Config.fromfile(MARS_DET)
    assert det.model.backbone.type == kind and det.model.backbone.in_channels == 3
    assert det.model.neck.in_channels == channels
    assert _without_backbone(det, 'neck.in_channels') == \
        _without_backbone(mars_det, 'neck.in_channels')
    assert det.train_dataloader == mars_det.train_dataloader
    assert det.optim_wrapper == mars_det.optim_wrapper
    # One row of the results table (tools/misc/results_table.py --by-backbone) for both.
    assert backbone_name(seg.model.backbone) == backbone_name(det.model.backbone) == baseline
    assert backbone_name(dict(seg.model.backbone, feature_pyramid='last')) == \
        f'{baseline} (last map)'


def test_sardet_configs_treat_the_three_channels_as_sar():
    croma = Config.fromfile(DET.format('croma-base')).model.backbone
    assert croma.modality == 'SAR' and tuple(croma.sar_bands) == ('VV', 'VV', 'VV')
    dofa = Config.fromfile(DET.format('dofa-vit-b16')).model.backbone
    assert list(dofa.wavelengths) == [5.405] * 3
    seg = Config.fromfile(SEG.format('dofa-vit-b16')).model.backbone
    assert list(seg.wavelengths) == [0.665, 0.56, 0.49]


def _tiny(cfg, baseline, tmp_path):
    """Shrink a config in place; returns the released file's tensor that training moves."""
    _, _, tiny, build = CASES[baseline]
    backbone = cfg.model.backbone
    backbone.arch = tiny
    path = str(tmp_path / 'released.pth')
    released = build()
    torch.save(released, path)
    backbone.init_cfg.checkpoint = path
    backbone.drop_path_rate = 0.0
    cfg.train_dataloader.update(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=1, val_interval=100)
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader', 'test_cfg',
                'test_evaluator'):
        cfg[key] = None
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.pop('visualization', None)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.randomness = dict(seed=0)
    moved = MOVED[baseline]
    if isinstance(moved, dict):
        moved = moved[backbone.get('modality') or 'optical']
    part, key = moved
    value = released[part][key] if part else released[key]
    return f'{part}.{key}' if part else key, value


def _train_one_step(cfg, moved):
    key, released = moved
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert math.isfinite(loss) and loss > 0
    # The released weights were loaded, then moved by the one AdamW step (lr 1e-4).
    change = (runner.model.backbone.model.state_dict()[key] - released).abs().max().item()
    assert 0 < change < 1e-2


@pytest.mark.parametrize('baseline', CASES)
def test_deepglobe_baseline_trains_one_step(baseline, deepglobe_root, tmp_path):
    cfg = Config.fromfile(SEG.format(baseline))
    moved = _tiny(cfg, baseline, tmp_path)
    channels = CASES[baseline][1](cfg.model.backbone.arch)
    norm_cfg = dict(type='BN', requires_grad=True)
    cfg.model.data_preprocessor.size = (SIZE, SIZE)
    cfg.model.decode_head.update(in_channels=channels, channels=16, pool_scales=(1, 2),
                                 norm_cfg=norm_cfg)
    cfg.model.auxiliary_head.update(in_channels=channels[2], channels=8, norm_cfg=norm_cfg)
    cfg.train_dataloader.dataset.data_root = str(deepglobe_root)
    for step in cfg.train_dataloader.dataset.pipeline:
        if step.type == 'RandomCrop':
            step.crop_size = (SIZE, SIZE)
    _train_one_step(cfg, moved)


@pytest.mark.parametrize('baseline', CASES)
def test_sardet_baseline_trains_one_step(baseline, sardet_root, tmp_path):  # noqa: F811
    cfg = Config.fromfile(DET.format(baseline))
    moved = _tiny(cfg, baseline, tmp_path)
    cfg.model.neck.update(in_channels=CASES[baseline][1](cfg.model.backbone.arch),
                          out_channels=16)
    cfg.model.rpn_head.update(in_channels=16, feat_channels=16)
    cfg.model.roi_head.bbox_roi_extractor.out_channels = 16
    cfg.model.roi_head.bbox_head.update(in_channels=16, fc_out_channels=32)
    cfg.train_dataloader.dataset.data_root = sardet_root
    cfg.train_dataloader.dataset.filter_cfg = dict(filter_empty_gt=True, min_size=0)
    for step in cfg.train_dataloader.dataset.pipeline:
        if step.type == 'Resize':
            step.scale = (SIZE, SIZE)
    _train_one_step(cfg, moved)


def test_wrappers_of_croma_dofa_encoders_are_named_after_them():
    assert backbone_name(dict(type='MaRSSiameseBackbone',
                              encoder=dict(type='DOFABackbone'))) == 'dofa-vit-b16 (siamese)'
    assert backbone_name(dict(type='MaRSMultiModalBackbone', modalities=dict(rgb={}, sar={}),
                              encoder=dict(type='CROMABackbone', arch='croma-base'))) == \
        'croma-base (rgb+sar, sum)'
