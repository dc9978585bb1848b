"""The paper-protocol detection configs: the MaRS authors' settings, and 2 training
iterations of each (shrunk to a tiny arch) on the fixtures through tools/train.py."""
import os.path as osp

import pytest
from mmengine.config import Config

from helpers import REPO_ROOT

from mars.models.backbones.mars_backbone import arch_channels

SARDET = osp.join(REPO_ROOT, 'configs', 'detection', 'sardet100k',
                  'mars-base_cascade-rcnn_fpn_paper-protocol_8xb2-1x_sardet100k.py')
UBCV2 = osp.join(REPO_ROOT, 'configs', 'detection', 'ubcv2',
                 'mars-base_cascade-mask-rcnn_fpn_paper-protocol_8xb4-1x_ubcv2.py')
IMAGENET = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375])


def _transform(pipeline, kind):
    (found, ) = [t for t in pipeline if t['type'] == kind]
    return found


def test_sardet_paper_protocol_settings():
    cfg = Config.fromfile(SARDET)
    assert cfg.model.type == 'CascadeRCNN'
    assert cfg.model.backbone.modality == 'rgb' and cfg.model.backbone.in_channels == 3
    assert cfg.model.backbone.drop_path_rate == 0.1
    assert cfg.model.neck.in_channels == list(arch_channels('base'))
    pre = cfg.model.data_preprocessor
    assert (pre.mean, pre.std, pre.bgr_to_rgb) == (IMAGENET['mean'], IMAGENET['std'], True)
    for loader in ('train', 'val', 'test'):
        pipeline = cfg[f'{loader}_dataloader'].dataset.pipeline
        resize = _transform(pipeline, 'Resize')
        assert (resize.scale, resize.keep_ratio) == ((800, 800), False)
        assert pipeline[0].get('color_type', 'color') == 'color'
    assert cfg.train_dataloader.dataset.filter_cfg.min_size == 16
    assert cfg.train_dataloader.batch_size == 2
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
    assert (cfg.optim_wrapper.optimizer.lr, cfg.optim_wrapper.optimizer.weight_decay) == \
        (1e-4, 0.05)
    assert cfg.train_cfg.max_epochs == 12 and cfg.param_scheduler[1].milestones == [8, 11]
    assert cfg.test_evaluator.classwise is True


def test_ubcv2_paper_protocol_settings():
    cfg = Config.fromfile(UBCV2)
    assert cfg.model.type == 'MultiModalCascadeRCNN'
    assert 'mask_head' in cfg.model.roi_head
    assert {h.num_classes for h in cfg.model.roi_head.bbox_head} == {1}
    assert cfg.model.backbone.fusion == 'sum' and cfg.model.backbone.drop_path_rate == 0.1
    assert cfg.model.neck.in_channels == list(arch_channels('base'))
    modalities = cfg.model.data_preprocessor.modalities
    assert modalities.rgb == IMAGENET
    assert modalities.sar == dict(mean=[0.2634], std=[0.5957])
    train = cfg.train_dataloader
    assert train.batch_size == 4 and train.dataset.filter_cfg.min_size == 0
    resize = _transform(train.dataset.pipeline, 'Resize')
    assert (resize.scale, resize.keep_ratio) == ((512, 512), True)
    flip = _transform(train.dataset.pipeline, 'RandomFlip')
    assert (flip.prob, flip.direction) == (0.5, 'horizontal')
    assert cfg.val_evaluator.metric == cfg.test_evaluator.metric == 'bbox'
    assert cfg.default_hooks.checkpoint.save_best == 'coco/bbox_mAP'
    assert cfg.optim_wrapper.optimizer.type == 'AdamW' and cfg.train_cfg.max_epochs == 12


# Shrinks a paper-protocol config to a tiny arch without weights, 16-channel FPN and heads,
# SIZE px (the protocol's resize kept otherwise) and 2 images per batch: 2 iterations on
# the 4 training images of the fixtures.
TINY = """
_base_ = [{base!r}]
model = dict(
    backbone=dict(arch='tiny', drop_path_rate=0.0, {weights}),
    neck=dict(in_channels={{{{_base_.mars_archs.tiny.channels}}}}, out_channels=16),
    rpn_head=dict(in_channels=16, feat_channels=16),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=16),
        bbox_head=[dict(head, in_channels=16, fc_out_channels=32)
                   for head in _base_.model.roi_head.bbox_head],
        {mask}))
train_pipeline = [dict(t, scale=({size}, {size})) if t['type'] == 'Resize' else t
                  for t in _base_.train_pipeline]
test_pipeline = [dict(t, scale=({size}, {size})) if t['type'] == 'Resize' else t
                 for t in _base_.test_pipeline]
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(loader, batch_size=2, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(loader, batch_size=1, dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(loader, batch_size=1, dataset=dict(pipeline=test_pipeline))
train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(interval=1))
randomness = dict(seed=0)
"""


@pytest.mark.parametrize('name', ['sardet', 'ubcv2'])
def test_paper_protocol_trains_two_iterations(name, tmp_path, run_tool, sardet_root,
                                              ubcv2_root, det_options):
    if name == 'sardet':
        tiny = TINY.format(base=SARDET, weights='init_cfg=None', mask='', size=128)
        options = det_options(sardet_root, 'Annotations/val.json')
        options += [f'test_evaluator.ann_file={sardet_root}/Annotations/test.json']
    else:
        tiny = TINY.format(
            base=UBCV2, size=64,
            weights='modalities=dict(rgb=dict(init_cfg=None), sar=dict(init_cfg=None))',
            mask='mask_roi_extractor=dict(out_channels=16), '
                 'mask_head=dict(num_convs=1, in_channels=16, conv_out_channels=16)')
        options = det_options(ubcv2_root, 'annotations/roof_single_val.json')
    config = tmp_path / f'tiny_{name}_paper-protocol.py'
    config.write_text(tiny)
    output = run_tool('train.py', config, '--work-dir', tmp_path / 'work', '--cfg-options',
                      *options)
    assert 'Epoch(train) [1][2/2]' in output
    assert 'coco/bbox_mAP' in output and 'coco/segm_mAP' not in output
    assert osp.exists(tmp_path / 'work' / 'epoch_1.pth')
