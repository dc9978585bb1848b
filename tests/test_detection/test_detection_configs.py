"""The SARDet-100k and UBC-V2 configs: schedule, channels from the arch, classes, inputs."""
import glob
import os.path as osp

import pytest
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

from helpers import REPO_ROOT

from mars.models.backbones.mars_backbone import arch_channels

SARDET_DIR = osp.join(REPO_ROOT, 'configs', 'detection', 'sardet100k')
UBCV2_DIR = osp.join(REPO_ROOT, 'configs', 'detection', 'ubcv2')
CONFIGS = sorted(glob.glob(osp.join(SARDET_DIR, '*.py')) + glob.glob(osp.join(UBCV2_DIR, '*.py')))


def _roi_num_classes(cfg):
    heads = cfg.model.roi_head.bbox_head
    return {h.num_classes for h in heads} if isinstance(heads, list) else {heads.num_classes}


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_detection_config_settings(path):
    cfg = Config.fromfile(path)
    name = osp.basename(path)
    arch = 'large' if name.startswith('mars-large') else 'base'
    assert cfg.default_scope == 'mmdet'
    # 1x schedule with AdamW, as the issue fixes it.
    assert cfg.train_cfg.max_epochs == 12
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
    assert (cfg.optim_wrapper.optimizer.lr, cfg.optim_wrapper.optimizer.weight_decay) == \
        (1e-4, 0.05)
    assert cfg.param_scheduler[0].end == 500 and cfg.param_scheduler[1].milestones == [8, 11]
    assert cfg.model.backbone.arch == arch
    assert cfg.model.neck.in_channels == list(arch_channels(arch))
    assert cfg.default_hooks.visualization.type == 'MultiModalDetVisualizationHook'
    assert cfg.default_hooks.visualization.modality == ('sar' if 'sardet' in name else 'both')
    assert cfg.val_evaluator.type == cfg.test_evaluator.type == 'CocoByNameMetric'
    if 'sardet100k' in name:
        assert 'cascade' in name or 'faster' in name
        assert cfg.model.type == ('CascadeRCNN' if 'cascade' in name else 'FasterRCNN')
        assert _roi_num_classes(cfg) == {6}
        sar = '-sar_' in name
        assert cfg.model.backbone.in_channels == (1 if sar else 3)
        assert cfg.model.backbone.init_cfg.checkpoint == \
            f'checkpoints/mars_{arch}_{"sar" if sar else "rgb"}_encoder_only.pth'
        load = cfg.train_dataloader.dataset.pipeline[0]
        assert load.get('color_type', 'color') == ('grayscale' if sar else 'color')
        assert len(cfg.model.data_preprocessor.mean) == (1 if sar else 3)
        assert cfg.test_dataloader.dataset.ann_file == 'Annotations/test.json'
    else:
        fine = name.endswith('-fine.py')
        assert cfg.model.type == 'MultiModalCascadeRCNN'
        assert _roi_num_classes(cfg) == {cfg.model.roi_head.mask_head.num_classes} == \
            {12 if fine else 1}
        # The authors' protocol scores boxes only (test_paper_protocol_configs.py).
        assert cfg.val_evaluator.metric == ('bbox' if 'paper-protocol' in name else
                                            ['bbox', 'segm'])
        split_json = f'annotations/roof_{"fine" if fine else "single"}_val.json'
        assert cfg.val_dataloader.dataset.ann_file == split_json
        assert cfg.val_evaluator.ann_file.endswith(split_json)
        for modality in ('rgb', 'sar'):
            assert cfg.model.backbone.modalities[modality].init_cfg.checkpoint == \
                f'checkpoints/mars_{arch}_{modality}_encoder_only.pth'


def test_sar_encoder_model_builds():
    # (The multi-modal Cascade Mask R-CNN is built and run from its tiny fixture config.)
    cfg = Config.fromfile(
        osp.join(SARDET_DIR, 'mars-base-sar_faster-rcnn_fpn_8xb2-1x_sardet100k.py'))
    init_default_scope('mmdet')
    cfg.model.backbone.init_cfg = None  # the released weights are not on the test machine
    model = MODELS.build(cfg.model)
    assert model.backbone.encoder.patch_embed.proj.in_channels == 1
    assert [c.conv.in_channels for c in model.neck.lateral_convs] == [128, 256, 512, 1024]


def test_ubcv2_pairs_config_loads_the_merge_stack(ubcv2_root):
    from mmdet.registry import DATASETS

    from mars.engine.hooks import modality_display
    init_default_scope('mmdet')
    samples, inputs = [], []
    for name in ('mars-base_cascade-mask-rcnn_fpn_8xb2-1x_ubcv2.py',
                 'mars-base_cascade-mask-rcnn_fpn_8xb2-1x_ubcv2-pairs.py'):
        dataset_cfg = Config.fromfile(osp.join(UBCV2_DIR, name)).val_dataloader.dataset
        dataset_cfg.data_root = str(ubcv2_root)
        dataset = DATASETS.build(dataset_cfg)
        samples.append(dataset[0]['data_samples'])
        inputs.append(dataset[0]['inputs'])
    assert inputs[0].shape == (4, 512, 512)  # the real config resizes to 512
    assert (inputs[0] == inputs[1]).all()
    merge, pairs = samples
    assert merge.modality_paths['sar'].endswith('merge/P0001.tif')
    assert pairs.modality_paths['sar'].endswith('sar/P0001.tif')
    for modality in ('rgb', 'sar'):
        assert (modality_display(merge.metainfo, modality) ==
                modality_display(pairs.metainfo, modality)).all()
