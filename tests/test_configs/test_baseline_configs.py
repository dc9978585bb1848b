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
from timm.models._manipulate import adapt_input_conv

from helpers import REPO_ROOT, load_tool

from mars.models.backbones.baselines import BASELINE_ARCHS, baseline_channels
from mars.testing.baseline_checkpoints import LAYOUTS, authors_checkpoint
from mars.testing.synthetic import TINY_EARTHMISS_CITIES
from mars.testing.synthetic_change import make_synthetic_bright, make_synthetic_whu_cd
from mars.testing.synthetic_det import make_synthetic_sardet, make_synthetic_ubcv2

BASELINES = ('resnet50', 'vit-b16', 'satmae-vit-l16', 'swin-b', 'swinv2-b',
             'scalemae-vit-l16', 'crossmae-vit-b16', 'gfm-swin-b')
TINY = {'resnet50': 'resnet-tiny', 'vit-b16': 'vit-tiny', 'satmae-vit-l16': 'vit-tiny',
        'swin-b': 'swin-tiny', 'swinv2-b': 'swinv2-tiny',
        'scalemae-vit-l16': 'scalemae-tiny', 'crossmae-vit-b16': 'crossmae-tiny',
        'gfm-swin-b': 'gfm-tiny'}
# The baselines the other task folders (WRAPPED_TASKS) have configs for so far; Scale-MAE,
# CrossMAE and GFM are in DeepGlobe and SARDet-100k only (add them here with their configs).
TASK_FOLDER_BASELINES = ('resnet50', 'vit-b16', 'satmae-vit-l16', 'swin-b', 'swinv2-b')
# Baselines with their own backbone class and config tests (test_croma_dofa_configs.py).
OTHER_BASELINES = ('croma-base', 'dofa-vit-b16')
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
    assert bases == sorted(BASELINES + OTHER_BASELINES)
    for folder in ('configs/road/deepglobe/baselines', 'configs/detection/sardet100k/baselines'):
        assert len(glob.glob(osp.join(REPO_ROOT, folder, '*.py'))) == \
            len(BASELINES + OTHER_BASELINES)


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
    _one_iteration(cfg, tmp_path)
    return released


def _one_iteration(cfg, tmp_path):
    """Train one iteration of batch 2 only: no validation, schedule or checkpoints."""
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


def _train_one_step(cfg, released, encoders=lambda backbone: [backbone]):
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 1
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert math.isfinite(loss) and loss > 0
    # The released weights were loaded (input channels adapted by timm's rule), then moved
    # by the one AdamW step (lr 1e-4), in every encoder.
    for backbone in encoders(runner.model.backbone):
        trained = backbone.model.state_dict()[backbone.embed_key]
        loaded = adapt_input_conv(trained.shape[1], released[backbone.embed_key])
        change = (trained - loaded).abs().max().item()
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


# The other task folders: MaRS-B config and its baselines (EarthMiss, UBC height: the
# multi-modal wrapper with a baseline encoder per modality; WHU-CD, BRIGHT: the Siamese
# wrapper with baseline encoders; UBC-V2: one baseline on the 4 stacked bands, as the
# authors' ubcv2_frcnn_*.py), and the head keys whose input channels follow the backbone.
WRAPPED_TASKS = {
    'earthmiss': ('configs/landcover/earthmiss', 'upernet_8xb2-40k_earthmiss-512x512.py',
                  ('decode_head.in_channels', 'auxiliary_head.in_channels')),
    'ubc-height': ('configs/height/ubc', 'uperhead_8xb2-40k_ubc-height-512x512.py',
                   ('decode_head.in_channels', )),
    'ubcv2': ('configs/detection/ubcv2', 'cascade-mask-rcnn_fpn_8xb2-1x_ubcv2.py',
              ('neck.in_channels', )),
    'whu-cd': ('configs/change/whu_cd', 'siamese-upernet_8xb4-40k_whu-cd-256x256.py',
               ('decode_head.in_channels', 'auxiliary_head.in_channels')),
    'bright': ('configs/change/bright', 'siamese-upernet_8xb2-40k_bright-512x512.py',
               ('decode_head.in_channels', 'auxiliary_head.in_channels')),
}


def _task_configs(task, baseline):
    folder, name, _ = WRAPPED_TASKS[task]
    return (Config.fromfile(osp.join(REPO_ROOT, folder, 'baselines', f'{baseline}_{name}')),
            Config.fromfile(osp.join(REPO_ROOT, folder, f'mars-base_{name}')))


def test_every_task_folder_has_every_baseline():
    for folder, name, _ in WRAPPED_TASKS.values():
        found = sorted(osp.basename(p) for p in
                       glob.glob(osp.join(REPO_ROOT, folder, 'baselines', '*.py')))
        assert found == sorted(f'{baseline}_{name}' for baseline in TASK_FOLDER_BASELINES), \
            folder
        readme = open(osp.join(REPO_ROOT, folder, 'README.md')).read()
        for path in found:
            assert f'(baselines/{path})' in readme, f'{folder}/README.md lacks {path}'


@pytest.mark.parametrize('task', sorted(WRAPPED_TASKS))
@pytest.mark.parametrize('baseline', TASK_FOLDER_BASELINES)
def test_task_configs_swap_only_the_backbone(task, baseline):
    cfg, mars = _task_configs(task, baseline)
    channels = baseline_channels(baseline)
    heads = WRAPPED_TASKS[task][2]
    for head in heads:
        *parents, key = head.split('.')
        node = cfg.model
        for parent in parents:
            node = node[parent]
        assert node[key] == (channels[2] if head.startswith('auxiliary') else channels), head
    assert _without_backbone(cfg, *heads) == _without_backbone(mars, *heads)
    for key in ('train_dataloader', 'val_dataloader', 'test_cfg', 'default_hooks',
                'param_scheduler'):
        assert cfg.get(key) == mars.get(key), key
    if task == 'ubcv2':
        # One encoder on R, G, B, SAR (the authors' in_channels=4), plain AdamW as MaRS.
        released = Config.fromfile(osp.join(REPO_ROOT, 'configs/_base_/models/baselines',
                                            f'{baseline}.py')).baseline_backbone.to_dict()
        released.pop('_delete_')
        assert cfg.model.backbone.to_dict() == dict(released, in_channels=4)
        assert cfg.optim_wrapper == mars.optim_wrapper
        return
    backbone, mars_backbone = cfg.model.backbone.to_dict(), mars.model.backbone.to_dict()
    assert backbone.pop('encoder') == dict(type='BaselineBackbone', arch=baseline)
    entries = 'dates' if 'dates' in backbone else 'modalities'
    ours, theirs = backbone.pop(entries), mars_backbone.pop(entries)
    assert backbone == mars_backbone  # wrapper settings (fusion, dropout, ...) unchanged
    assert list(ours) == list(theirs)
    for name, entry in ours.items():
        # The entry's input channels are MaRS's; its weights the baseline's release.
        assert entry['in_channels'] == theirs[name]['in_channels'], name
        assert set(entry) == {'in_channels', 'init_cfg'}, name
        assert entry['init_cfg']['checkpoint'].startswith('checkpoints/baselines/'), name
    assert cfg.optim_wrapper.type == 'OptimWrapper' and 'constructor' not in cfg.optim_wrapper


def _tiny_encoders(cfg, baseline, tmp_path):
    """Shrink a wrapper's baseline encoders (one released file for every entry) and the
    run; returns the file's state dict."""
    backbone = cfg.model.backbone
    backbone.encoder.arch = TINY[baseline]
    # The release's own layout (SatMAE's MAE checkpoint) for the tiny stand-in too.
    backbone.encoder.checkpoint_format = BASELINE_ARCHS[baseline].get('checkpoint_format',
                                                                      'timm')
    path = str(tmp_path / 'released.pth')
    released = _released_file(TINY[baseline], backbone.encoder.checkpoint_format, path)
    for entry in backbone.get('dates', backbone.get('modalities')).values():
        entry.init_cfg.checkpoint = path
    backbone.drop_path_rate = 0.0
    if 'modality_dropout' in backbone:
        # A modality dropped from the whole batch leaves its encoder without gradient;
        # every encoder must move in the one step checked here.
        backbone.modality_dropout = None
    _one_iteration(cfg, tmp_path)
    return released


def _tiny_uper_heads(cfg, channels):
    norm_cfg = dict(type='BN', requires_grad=True)
    cfg.model.decode_head.update(in_channels=channels, channels=16, pool_scales=(1, 2),
                                 norm_cfg=norm_cfg)
    if cfg.model.get('auxiliary_head'):
        cfg.model.auxiliary_head.update(in_channels=channels[2], channels=8, norm_cfg=norm_cfg)


def _crop(cfg, size=SIZE):
    cfg.model.data_preprocessor.size = (size, size)
    for step in cfg.train_dataloader.dataset.pipeline:
        if step.type == 'RandomCrop':
            step.crop_size = (size, size)


# One baseline per task folder (each arch family once), through the task's wrapper.
def _all_encoders(wrapper):
    return (list(wrapper.encoders.values()) if hasattr(wrapper, 'encoders') else
            [wrapper.encoder])


def test_earthmiss_resnet50_trains_one_step(earthmiss_root, tmp_path):
    cfg, _ = _task_configs('earthmiss', 'resnet50')
    released = _tiny_encoders(cfg, 'resnet50', tmp_path)
    _tiny_uper_heads(cfg, baseline_channels('resnet-tiny'))
    _crop(cfg)
    cfg.train_dataloader.dataset.update(data_root=str(earthmiss_root),
                                        cities=list(TINY_EARTHMISS_CITIES['train']))
    _train_one_step(cfg, released, _all_encoders)


def test_ubc_height_vit_b16_trains_one_step(ubc_height_root, tmp_path):
    cfg, _ = _task_configs('ubc-height', 'vit-b16')
    released = _tiny_encoders(cfg, 'vit-b16', tmp_path)
    _tiny_uper_heads(cfg, baseline_channels('vit-tiny'))
    cfg.train_dataloader.dataset.data_root = str(ubc_height_root)
    _train_one_step(cfg, released, _all_encoders)


def test_whu_cd_swinv2_b_trains_one_step(tmp_path):
    root = make_synthetic_whu_cd(tmp_path / 'whu_cd', splits=('train', ), tiles=2, size=SIZE)
    cfg, _ = _task_configs('whu-cd', 'swinv2-b')
    released = _tiny_encoders(cfg, 'swinv2-b', tmp_path)
    _tiny_uper_heads(cfg, baseline_channels('swinv2-tiny'))
    _crop(cfg)
    cfg.train_dataloader.dataset.data_root = root['root']
    _train_one_step(cfg, released, _all_encoders)


def test_bright_satmae_trains_one_step(tmp_path):
    root = make_synthetic_bright(tmp_path / 'bright', splits=('train', ), tiles=1, size=96)
    cfg, _ = _task_configs('bright', 'satmae-vit-l16')
    released = _tiny_encoders(cfg, 'satmae-vit-l16', tmp_path)
    _tiny_uper_heads(cfg, baseline_channels('vit-tiny'))
    _crop(cfg)
    cfg.train_dataloader.dataset.data_root = root['root']
    _train_one_step(cfg, released, _all_encoders)


def test_ubcv2_swin_b_trains_one_step(tmp_path):
    root = tmp_path / 'ubcv2'
    fine = make_synthetic_ubcv2(root, splits=dict(train=2), size=SIZE, seed=0)
    converter = load_tool('dataset_converters/ubcv2_single_category.py')
    converter.convert(fine['train'], converter.default_output(fine['train']))
    cfg, _ = _task_configs('ubcv2', 'swin-b')
    released = _tiny(cfg, 'swin-b', tmp_path)
    cfg.model.neck.update(in_channels=baseline_channels('swin-tiny'), out_channels=16)
    cfg.model.rpn_head.update(in_channels=16, feat_channels=16)
    roi_head = cfg.model.roi_head
    roi_head.bbox_roi_extractor.out_channels = 16
    for head in roi_head.bbox_head:
        head.update(in_channels=16, fc_out_channels=32)
    roi_head.mask_roi_extractor.out_channels = 16
    roi_head.mask_head.update(num_convs=1, in_channels=16, conv_out_channels=16)
    cfg.train_dataloader.dataset.data_root = str(root) + os.sep
    for step in cfg.train_dataloader.dataset.pipeline:
        if step.type == 'Resize':
            step.scale = (SIZE, SIZE)
    _train_one_step(cfg, released)
