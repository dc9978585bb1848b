"""Baseline configs: each swaps only the backbone of a MaRS config, and trains one step at
64 px through the Runner (tiny variant, weights from a random file in the released layout)."""
import glob
import math
import os
import os.path as osp

import pytest
import timm
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from helpers import REPO_ROOT

from mars.models.backbones.baselines import BASELINE_ARCHS, baseline_channels
from mars.testing.baseline_checkpoints import LAYOUTS, authors_checkpoint
from mars.testing.synthetic_det import make_synthetic_sardet

BASELINES = ('resnet50', 'vit-b16', 'satmae-vit-l16', 'swin-b', 'swinv2-b',
             'scalemae-vit-l16', 'crossmae-vit-b16', 'gfm-swin-b')
TINY = {'resnet50': 'resnet-tiny', 'vit-b16': 'vit-tiny', 'satmae-vit-l16': 'vit-tiny',
        'swin-b': 'swin-tiny', 'swinv2-b': 'swinv2-tiny',
        'scalemae-vit-l16': 'scalemae-tiny', 'crossmae-vit-b16': 'crossmae-tiny',
        'gfm-swin-b': 'gfm-tiny'}
SEG = osp.join(REPO_ROOT,
               'configs/road/deepglobe/baselines/{}_upernet_8xb2-80k_deepglobe-512x512.py')
DET = osp.join(REPO_ROOT,
               'configs/detection/sardet100k/baselines/{}_faster-rcnn_fpn_8xb2-1x_sardet100k.py')
MARS_SEG = osp.join(REPO_ROOT,
                    'configs/road/deepglobe/mars-base_upernet_8xb2-80k_deepglobe-512x512.py')
MARS_DET = osp.join(REPO_ROOT,
                    'configs/detection/sardet100k/mars-base_faster-rcnn_fpn_8xb2-1x_sardet100k.py')
SIZE = 64


def test_every_baseline_has_a_base_and_both_task_configs():
    bases = sorted(osp.splitext(osp.basename(p))[0] for p in
                   glob.glob(osp.join(REPO_ROOT, 'configs/_base_/models/baselines/*.py')))
    assert bases == sorted(BASELINES)
    for folder in ('configs/road/deepglobe/baselines', 'configs/detection/sardet100k/baselines'):
        assert len(glob.glob(osp.join(REPO_ROOT, folder, '*.py'))) == len(BASELINES)


def _without_backbone(cfg, *paths):
    model = cfg.model.to_dict()
    model.pop('backbone')
    for path in paths:
        *parents, key = path.split('.')
        node = model
        for parent in parents:
            node = node[parent]
        node.pop(key)
    return model


@pytest.mark.parametrize('baseline', BASELINES)
def test_configs_swap_only_the_backbone(baseline):
    channels = baseline_channels(baseline)
    seg, mars_seg = Config.fromfile(SEG.format(baseline)), Config.fromfile(MARS_SEG)
    assert seg.model.backbone.type == 'BaselineBackbone' and seg.model.backbone.arch == baseline
    assert '_delete_' not in seg.model.backbone
    assert seg.model.backbone.init_cfg.checkpoint.startswith('checkpoints/baselines/')
    assert seg.model.decode_head.in_channels == channels
    assert seg.model.auxiliary_head.in_channels == channels[2]
    heads = ('decode_head.in_channels', 'auxiliary_head.in_channels')
    assert _without_backbone(seg, *heads) == _without_backbone(mars_seg, *heads)
    assert seg.train_dataloader == mars_seg.train_dataloader
    assert seg.optim_wrapper.type == 'OptimWrapper' and 'constructor' not in seg.optim_wrapper

    det, mars_det = Config.fromfile(DET.format(baseline)), Config.fromfile(MARS_DET)
    assert det.model.backbone == seg.model.backbone
    assert det.model.neck.in_channels == channels
    assert _without_backbone(det, 'neck.in_channels') == \
        _without_backbone(mars_det, 'neck.in_channels')
    assert det.train_dataloader == mars_det.train_dataloader
    assert det.optim_wrapper == mars_det.optim_wrapper


def _released_file(tiny, checkpoint_format, path):
    if checkpoint_format in LAYOUTS:  # pretraining checkpoints of their authors' layouts
        checkpoint, encoder = authors_checkpoint(tiny)
        torch.save(checkpoint, path)
        return encoder
    spec = BASELINE_ARCHS[tiny]
    kwargs = dict(spec.get('timm_kwargs', {}))
    if spec['family'] != 'cnn':
        kwargs['img_size'] = 256 if 'v2' in tiny else 224
    state_dict = timm.create_model(spec['timm_name'], **kwargs).state_dict()
    if checkpoint_format == 'satmae':
        state_dict['mask_token'] = torch.zeros(1, 1, 16)
        state_dict['decoder_embed.weight'] = torch.zeros(16, spec['dim'])
        state_dict = dict(model=state_dict, epoch=0)
    torch.save(state_dict, path)
    return state_dict.get('model', state_dict)


def _tiny(cfg, baseline, tmp_path):
    """Shrink a baseline config in place; returns the weights file's state dict."""
    backbone = cfg.model.backbone
    backbone.arch = TINY[baseline]
    path = str(tmp_path / 'released.pth')
    released = _released_file(backbone.arch, backbone.get('checkpoint_format', 'timm'), path)
    backbone.init_cfg.checkpoint = path
    backbone.drop_path_rate = 0.0
    loader = dict(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.update(loader)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=1, val_interval=100)
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator', 'test_dataloader', 'test_cfg',
                'test_evaluator'):
        cfg[key] = None
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.pop('visualization', None)  # draws validation results only
    cfg.work_dir = str(tmp_path / 'work')
    cfg.randomness = dict(seed=0)
    return released


def _train_one_step(cfg, released):
    runner = Runner.from_cfg(cfg)
    runner.train()
    backbone = runner.model.backbone
    assert runner.iter == 1
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert math.isfinite(loss) and loss > 0
    # The released weights were loaded, then moved by the one AdamW step (lr 1e-4).
    trained = backbone.model.state_dict()[backbone.embed_key]
    change = (trained - released[backbone.embed_key]).abs().max().item()
    assert 0 < change < 1e-2


@pytest.mark.parametrize('baseline', BASELINES)
def test_deepglobe_baseline_trains_one_step(baseline, deepglobe_root, tmp_path):
    cfg = Config.fromfile(SEG.format(baseline))
    released = _tiny(cfg, baseline, tmp_path)
    channels = baseline_channels(cfg.model.backbone.arch)
    norm_cfg = dict(type='BN', requires_grad=True)
    cfg.model.data_preprocessor.size = (SIZE, SIZE)
    cfg.model.decode_head.update(in_channels=channels, channels=16, pool_scales=(1, 2),
                                 norm_cfg=norm_cfg)
    cfg.model.auxiliary_head.update(in_channels=channels[2], channels=8, norm_cfg=norm_cfg)
    cfg.train_dataloader.dataset.data_root = str(deepglobe_root)
    for step in cfg.train_dataloader.dataset.pipeline:
        if step.type == 'RandomCrop':
            step.crop_size = (SIZE, SIZE)
    _train_one_step(cfg, released)


@pytest.fixture(scope='module')
def sardet_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('sardet')
    make_synthetic_sardet(root, splits=dict(train=2), seed=0)
    return str(root) + os.sep


@pytest.mark.parametrize('baseline', BASELINES)
def test_sardet_baseline_trains_one_step(baseline, sardet_root, tmp_path):
    cfg = Config.fromfile(DET.format(baseline))
    released = _tiny(cfg, baseline, tmp_path)
    cfg.model.neck.update(in_channels=baseline_channels(cfg.model.backbone.arch),
                          out_channels=16)
    cfg.model.rpn_head.update(in_channels=16, feat_channels=16)
    cfg.model.roi_head.bbox_roi_extractor.out_channels = 16
    cfg.model.roi_head.bbox_head.update(in_channels=16, fc_out_channels=32)
    cfg.train_dataloader.dataset.data_root = sardet_root
    cfg.train_dataloader.dataset.filter_cfg = dict(filter_empty_gt=True, min_size=0)
    for step in cfg.train_dataloader.dataset.pipeline:
        if step.type == 'Resize':
            step.scale = (SIZE, SIZE)
    _train_one_step(cfg, released)
