"""Fixtures of the tool tests: tiny seg / COCO datasets written on the fly, trained work
dirs shared between tests. The tool runners are in tests/conftest.py."""
import json
import os
import os.path as osp

import mmcv
import numpy as np
import pytest
from helpers import FIXTURE_CONFIGS
SEG_CONFIG = osp.join(FIXTURE_CONFIGS, 'mars-tiny_upernet_1xb2-4iter_tiny-seg-64x64.py')
DET_CONFIG = osp.join(FIXTURE_CONFIGS, 'mars-tiny_faster-rcnn_fpn_1xb2-1e_tiny-coco.py')

SEG_SPLITS = dict(train=4, val=2)
SEG_SIZE = 64
COCO_IMAGES = 4
COCO_SIZE = 128
COCO_CLASSES = ('ship', 'aircraft')


def _seg_sample(rng):
    """A 64x64 RGB image with a bright horizontal 'road' and its 0/1 label map."""
    image = rng.integers(0, 80, (SEG_SIZE, SEG_SIZE, 3), dtype=np.uint8)
    label = np.zeros((SEG_SIZE, SEG_SIZE), dtype=np.uint8)
    top = int(rng.integers(8, SEG_SIZE - 16))
    image[top:top + 8] = 200
    label[top:top + 8] = 1
    return image, label


@pytest.fixture(scope='session')
def tiny_seg_root(tmp_path_factory):
    """mmseg layout ``img_dir/{train,val}/*.png`` + ``ann_dir/{train,val}/*.png``."""
    root = tmp_path_factory.mktemp('tiny_seg')
    rng = np.random.default_rng(0)
    for split, count in SEG_SPLITS.items():
        for i in range(count):
            image, label = _seg_sample(rng)
            mmcv.imwrite(image, str(root / 'img_dir' / split / f'{split}_{i}.png'))
            mmcv.imwrite(label, str(root / 'ann_dir' / split / f'{split}_{i}.png'))
    return str(root)


def _coco_image(rng, image_id, ann_id):
    """A 128x128 image with 1-2 bright boxes, and its COCO image / annotation records."""
    image = rng.integers(0, 60, (COCO_SIZE, COCO_SIZE, 3), dtype=np.uint8)
    annotations = []
    for k in range(1 + image_id % 2):
        x, y = int(rng.integers(4, 60)), int(rng.integers(4, 60))
        w, h = int(rng.integers(24, 60)), int(rng.integers(24, 60))
        image[y:y + h, x:x + w] = 220 if k == 0 else 150
        annotations.append(dict(
            id=ann_id + k, image_id=image_id, category_id=k + 1, bbox=[x, y, w, h],
            area=w * h, iscrowd=0))
    record = dict(id=image_id, file_name=f'{image_id:04d}.png', width=COCO_SIZE,
                  height=COCO_SIZE)
    return image, record, annotations


@pytest.fixture(scope='session')
def tiny_coco_root(tmp_path_factory):
    """COCO layout ``annotations/train.json`` + ``images/<id>.png`` (SARDet-like)."""
    root = tmp_path_factory.mktemp('tiny_coco')
    rng = np.random.default_rng(0)
    images, annotations = [], []
    for image_id in range(1, COCO_IMAGES + 1):
        image, record, anns = _coco_image(rng, image_id, ann_id=len(annotations) + 1)
        mmcv.imwrite(image, str(root / 'images' / record['file_name']))
        images.append(record)
        annotations += anns
    categories = [dict(id=i + 1, name=name) for i, name in enumerate(COCO_CLASSES)]
    (root / 'annotations').mkdir()
    with open(root / 'annotations' / 'train.json', 'w') as f:
        json.dump(dict(images=images, annotations=annotations, categories=categories), f)
    return str(root)


@pytest.fixture(scope='session')
def seg_data_options(tiny_seg_root):
    """``--cfg-options`` pointing the mmseg fixture config at the tiny dataset."""
    return [f'{loader}.dataset.data_root={tiny_seg_root}'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]


@pytest.fixture(scope='session')
def det_data_options(tiny_coco_root):
    """``--cfg-options`` pointing the mmdet fixture config at the tiny COCO set."""
    ann_file = osp.join(tiny_coco_root, 'annotations', 'train.json')
    root = tiny_coco_root + os.sep
    return [f'{loader}.dataset.data_root={root}'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')] + [
        f'val_evaluator.ann_file={ann_file}', f'test_evaluator.ann_file={ann_file}']


def _checkpoint_in(work_dir, name):
    path = osp.join(work_dir, name)
    assert osp.isfile(path), f'{name} missing in {work_dir}: {sorted(os.listdir(work_dir))}'
    return path


@pytest.fixture(scope='session')
def trained_seg(tmp_path_factory, run_tool, seg_data_options):
    """Work dir of one 4-iteration training of the mmseg fixture config (shared)."""
    work_dir = str(tmp_path_factory.mktemp('seg_work_dir'))
    output = run_tool('train.py', SEG_CONFIG, '--work-dir', work_dir,
                      '--cfg-options', *seg_data_options)
    return dict(work_dir=work_dir, output=output,
                checkpoint=_checkpoint_in(work_dir, 'iter_4.pth'))


@pytest.fixture(scope='session')
def trained_det(tmp_path_factory, run_tool, det_data_options):
    """Work dir of one 1-epoch (2-iteration) training of the mmdet fixture config."""
    work_dir = str(tmp_path_factory.mktemp('det_work_dir'))
    output = run_tool('train.py', DET_CONFIG, '--work-dir', work_dir,
                      '--cfg-options', *det_data_options)
    return dict(work_dir=work_dir, output=output,
                checkpoint=_checkpoint_in(work_dir, 'epoch_1.pth'))


@pytest.fixture(scope='session')
def seg_config():
    """Path of the mmseg-scope fixture config."""
    return SEG_CONFIG


@pytest.fixture(scope='session')
def det_config():
    """Path of the mmdet-scope fixture config."""
    return DET_CONFIG
