"""SARDet-100k and UBC-V2 through tools/train.py and tools/test.py (tiny fixture configs)."""
import glob
import os.path as osp
import pickle

import mmcv
import pytest
from mmengine.config import Config
from mmengine.runner import Runner
from helpers import REPO_ROOT

from mars.utils.safe_checkpoint import load_checkpoint_file

BBOX_KEYS = ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_75')


def test_sardet_train_validates_with_coco_metrics(trained_sardet, det_configs):
    output = trained_sardet['output']
    assert 'Epoch(train) [1][2/2]' in output
    for key in BBOX_KEYS:
        assert key in output
    assert osp.isfile(trained_sardet['checkpoint'])
    dumped = Config.fromfile(
        osp.join(trained_sardet['work_dir'], osp.basename(det_configs['sardet'])))
    assert dumped.model.type == 'CascadeRCNN'
    assert dumped.model.neck.in_channels == [32, 64, 128, 256]
    assert [h.num_classes for h in dumped.model.roi_head.bbox_head] == [6, 6, 6]


def test_sardet_test_out_and_show_dir(tmp_path, run_tool, trained_sardet, sardet_root,
                                      det_configs, det_options):
    results = tmp_path / 'results.pkl'
    output = run_tool('test.py', det_configs['sardet'], trained_sardet['checkpoint'],
                      '--work-dir', tmp_path, '--out', results, '--show-dir', 'vis',
                      '--cfg-options',
                      *det_options(sardet_root, 'Annotations/test.json'))
    for key in BBOX_KEYS:
        assert key in output
    with open(results, 'rb') as f:
        predictions = pickle.load(f)
    test_images = sorted(glob.glob(str(sardet_root / 'JPEGImages' / 'test' / '*')))
    assert len(predictions) == len(test_images) == 3
    # --show-dir: one drawing per image (GT | prediction side by side, SAR in dB).
    drawings = sorted(glob.glob(str(tmp_path / '*' / 'vis' / '*')))
    assert [osp.basename(p) for p in drawings] == [osp.basename(p) for p in test_images]
    for drawing, image in zip(drawings, test_images):
        height, width = mmcv.imread(image).shape[:2]
        assert mmcv.imread(drawing).shape == (height, 2 * width, 3)


def test_sardet_sar_encoder_on_one_channel(tmp_path, sardet_root, det_configs, det_options):
    # In-process Runner (the tool path is covered above): SAR encoder on 1-channel input.
    cfg = Config.fromfile(det_configs['sardet_sar'])
    cfg.merge_from_dict(dict(opt.split('=', 1) for opt in det_options(
        sardet_root, 'Annotations/val.json')))
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    assert runner.model.backbone.in_channels == 1
    assert runner.model.backbone.modality == 'sar'
    batch = runner.model.data_preprocessor(
        next(iter(runner.train_dataloader)), training=True)
    assert batch['inputs'].shape[1] == 1
    runner.train()
    metrics = runner.val_loop.run()
    assert 0 <= metrics['coco/bbox_mAP'] <= 1


def test_ubcv2_dist_train_two_cpu_processes(trained_ubcv2, det_configs):
    work_dir = trained_ubcv2['work_dir']
    assert osp.isfile(trained_ubcv2['checkpoint'])
    dumped = Config.fromfile(osp.join(work_dir, osp.basename(det_configs['ubcv2'])))
    assert dumped.model.type == 'MultiModalCascadeRCNN'
    assert dumped.model_wrapper_cfg.type == 'MMCPUDistributedDataParallel'
    # 4 training tiles over 2 processes x 2 images: one iteration per epoch.
    assert 'Epoch(train) [1][1/1]' in trained_ubcv2['output']
    for key in BBOX_KEYS + ('coco/segm_mAP', ):
        assert key in trained_ubcv2['output']
    # The per-modality normalisation goes into the checkpoint (NormalizationCheckHook).
    saved = load_checkpoint_file(trained_ubcv2['checkpoint'], 'cpu')['meta'][
        'input_normalization']
    configured = dumped.model.data_preprocessor.modalities
    assert list(saved) == list(configured) == ['rgb', 'sar']
    for modality, stats in configured.items():
        assert saved[modality] == dict(mean=pytest.approx(stats.mean),
                                       std=pytest.approx(stats.std)), modality
    # The UBC-V2 SAR statistics, not the Umbra ones of the multi-modal base.
    assert configured.sar.mean != Config.fromfile(osp.join(
        REPO_ROOT, 'configs', '_base_', 'models',
        'mars_multimodal_cascade-mask-rcnn_fpn.py')).model.data_preprocessor.modalities.sar.mean


def test_ubcv2_test_bbox_segm_out_and_show_dir(tmp_path, run_tool, trained_ubcv2, ubcv2_root,
                                               det_configs, det_options):
    results = tmp_path / 'results.pkl'
    output = run_tool('test.py', det_configs['ubcv2'], trained_ubcv2['checkpoint'],
                      '--work-dir', tmp_path, '--out', results, '--show-dir', 'vis',
                      '--cfg-options',
                      *det_options(ubcv2_root, 'annotations/roof_single_val.json'))
    for key in BBOX_KEYS + ('coco/segm_mAP', 'coco/segm_mAP_50'):
        assert key in output
    with open(results, 'rb') as f:
        predictions = pickle.load(f)
    assert len(predictions) == 2
    assert {'bboxes', 'masks', 'labels'} <= set(predictions[0]['pred_instances'])
    # The 4-band merge TIFFs are drawn from their RGB bands over their SAR band (dB), GT
    # left and prediction right, saved as PNG.
    drawings = sorted(glob.glob(str(tmp_path / '*' / 'vis' / '*.png')))
    assert [osp.basename(p) for p in drawings] == ['P0001.png', 'P0002.png']
    assert mmcv.imread(drawings[0]).shape == (128, 128, 3)
