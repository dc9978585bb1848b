"""Label ids outside the classes are refused, naming the file, the values and the allowed ones:
segmentation (EarthMiss train and val), change (bi-temporal) and damage (BRIGHT) masks."""
import copy
import os.path as osp

import cv2
import numpy as np
import pytest
import tifffile
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from helpers import REPO_ROOT

from mars.datasets import BitemporalSegDataset, EarthMissDataset, WHUCDDataset
from mars.datasets.transforms import LoadDeepGlobeRoadMask, LoadRSAnnotations
from mars.testing import TINY_EARTHMISS_CITIES, make_synthetic_bright, make_synthetic_whu_cd

BRIGHT_TINY = osp.join(REPO_ROOT, 'tests', 'test_change', 'configs',
                       'mars-tiny_siamese-upernet_1xb2-2it_bright-64x64.py')
SEG_PIPELINE = [dict(type='LoadMultiModalImages'), dict(type='LoadRSAnnotations'),
                dict(type='RandomFlip', prob=0.5), dict(type='PackMultiModalSegInputs')]


@pytest.fixture(autouse=True)
def mmseg_scope():
    with DefaultScope.overwrite_default_scope('mmseg'):
        yield


def poke(path, value, count=3):
    """Write ``value`` into the first ``count`` pixels of the label TIFF / PNG at ``path``."""
    path = str(path)
    if path.endswith('.png'):
        label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        label.flat[:count] = value
        cv2.imwrite(path, label)
    else:
        label = tifffile.imread(path)
        label.flat[:count] = value
        tifffile.imwrite(path, label)
    return path


def test_lookup_and_check_edge_cases(tmp_path):
    # reduce_zero_label with 8 classes: the file may hold 0 (ignored), 1-8 and 255 exactly.
    edge = np.array([[0, 1, 8], [255, 4, 8]], np.uint8)
    path = tmp_path / 'edge_mask.tif'
    tifffile.imwrite(path, edge)
    out = LoadRSAnnotations(num_classes=8)(dict(seg_map_path=str(path),
                                                reduce_zero_label=True))
    np.testing.assert_array_equal(out['gt_seg_map'], [[255, 0, 7], [255, 3, 7]])
    # 9 is one past the last class: refused with the allowed file values spelled out.
    poke(path, 9, count=2)
    with pytest.raises(ValueError) as error:
        LoadRSAnnotations(num_classes=8)(dict(seg_map_path=str(path),
                                              reduce_zero_label=True))
    message = str(error.value)
    assert str(path) in message and '9 (2 px)' in message
    assert 'may hold only 0-8, 255 after reduce_zero_label' in message
    # Without reduce_zero_label 8 itself is out of range (8 classes: 0-7).
    with pytest.raises(ValueError, match=r'holds values 8 \(2 px\), 9 \(2 px\).*only 0-7, 255'):
        LoadRSAnnotations(num_classes=8)(dict(seg_map_path=str(path),
                                              reduce_zero_label=False))
    # A label map (class subset) sends dropped classes to 255: valid; unmapped 5 is not.
    subset = np.array([[0, 1, 2, 3]], np.uint8)
    tifffile.imwrite(path, subset)
    out = LoadRSAnnotations()(dict(seg_map_path=str(path), reduce_zero_label=False,
                                   label_map={0: 255, 1: 0, 2: 1, 3: 255}, num_classes=2))
    np.testing.assert_array_equal(out['gt_seg_map'], [[255, 0, 1, 255]])
    with pytest.raises(ValueError, match=r'values 3 \(1 px\).*label_map'):
        LoadRSAnnotations()(dict(seg_map_path=str(path), reduce_zero_label=False,
                                 label_map={1: 0, 2: 1}, num_classes=3))
    # Another ignore index.
    out = LoadRSAnnotations(num_classes=3, ignore_index=3)(
        dict(seg_map_path=str(path), reduce_zero_label=False))
    np.testing.assert_array_equal(out['gt_seg_map'], subset)


def test_training_mask_with_id_12_is_refused(earthmiss_root):
    dataset = EarthMissDataset(data_root=str(earthmiss_root),
                               cities=TINY_EARTHMISS_CITIES['train'], pipeline=SEG_PIPELINE)
    info = dataset.get_data_info(1)
    assert info['num_classes'] == 8 and info['ignore_index'] == 255
    dataset[1]  # a clean mask loads
    bad = poke(info['seg_map_path'], 12, count=5)
    with pytest.raises(ValueError) as error:
        dataset[1]
    message = str(error.value)
    assert bad in message and '12 (5 px)' in message
    assert '8 classes (ids 0-7) and ignore_index 255' in message
    assert 'may hold only 0-8, 255' in message


def test_validation_mask_is_refused_not_dropped(earthmiss_root):
    val = EarthMissDataset(data_root=str(earthmiss_root), test_mode=True,
                           cities=TINY_EARTHMISS_CITIES['val'], pipeline=[
                               dict(type='LoadMultiModalImages'),
                               dict(type='LoadRSAnnotations'),
                               dict(type='PackMultiModalSegInputs')])
    bad = poke(val.get_data_info(0)['seg_map_path'], 200, count=1)
    with pytest.raises(ValueError, match=rf'{bad} holds values 200 \(1 px\)'):
        val[0]


def test_change_mask_is_checked(tmp_path):
    make_synthetic_whu_cd(tmp_path / 'cd', splits=('train', ), tiles=2, size=32)
    root = str(tmp_path / 'cd')
    pipeline = [dict(type='LoadBitemporalImages'), dict(type='LoadRSAnnotations'),
                dict(type='PackMultiModalSegInputs')]
    # A generic change dataset whose labels are 0 / 1 ids.
    dataset = BitemporalSegDataset(
        data_root=root, split='train', pipeline=pipeline,
        dates=dict(t1=dict(folder='A', suffix='.png'), t2=dict(folder='B', suffix='.png')),
        label=dict(folder='label', suffix='.png'),
        metainfo=dict(classes=('unchanged', 'change')))
    path = dataset.get_data_info(0)['seg_map_path']
    label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    cv2.imwrite(path, (label > 0).astype(np.uint8))
    assert set(np.unique(dataset[0]['data_samples'].gt_sem_seg.data.numpy())) <= {0, 1}
    poke(path, 7, count=4)
    with pytest.raises(ValueError, match=rf'{path} holds values 7 \(4 px\).*2 classes'):
        dataset[0]


def test_whu_cd_mask_stored_as_0_1_is_refused(tmp_path):
    make_synthetic_whu_cd(tmp_path / 'cd', splits=('train', ), tiles=1, size=32)
    dataset = WHUCDDataset(data_root=str(tmp_path / 'cd'), split='train')
    path = dataset.get_data_info(0)['seg_map_path']
    label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    cv2.imwrite(path, (label > 0).astype(np.uint8))
    with pytest.raises(ValueError, match=rf'mask {path} holds only the values 0 and 1.*'
                                         r'threshold=1'):
        LoadDeepGlobeRoadMask()(dict(seg_map_path=path))
    out = LoadDeepGlobeRoadMask(threshold=1)(dict(seg_map_path=path))
    np.testing.assert_array_equal(out['gt_seg_map'], label > 0)


def bright_runner(tmp_path):
    data = make_synthetic_bright(tmp_path / 'bright', tiles=1, size=96)
    cfg = Config.fromfile(BRIGHT_TINY)
    for loader in ('train', 'val', 'test'):
        cfg[f'{loader}_dataloader'].dataset.data_root = data['root']
    cfg.work_dir = str(tmp_path / 'work')
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=100)
    cfg.train_cfg.val_interval = 100
    return data, cfg


def test_bright_damage_mask_in_training_is_refused_through_the_runner(tmp_path):
    data, cfg = bright_runner(tmp_path)
    bad = [poke(osp.join(data['root'], 'train', 'target', f'{stem}_building_damage.tif'), 4)
           for stem in data['names']['train']]
    runner = Runner.from_cfg(copy.deepcopy(cfg))
    with pytest.raises(ValueError) as error:
        runner.train()
    message = str(error.value)
    assert any(path in message for path in bad)
    assert 'values 4 (3 px)' in message and '4 classes (ids 0-3)' in message
    assert 'may hold only 0-3, 255' in message


def test_bright_damage_mask_in_validation_is_refused_through_the_runner(tmp_path):
    data, cfg = bright_runner(tmp_path)
    stem = data['names']['val'][-1]
    bad = poke(osp.join(data['root'], 'val', 'target', f'{stem}_building_damage.tif'), 9, 1)
    runner = Runner.from_cfg(copy.deepcopy(cfg))
    with pytest.raises(ValueError, match=rf'{bad} holds values 9 \(1 px\)'):
        runner.val()


def test_unknown_class_count_is_warned_once(tmp_path):
    log = tmp_path / 'load.log'
    MMLogger.get_instance(f'label_ids_{log}', log_file=str(log))
    path = tmp_path / 'any_mask.tif'
    tifffile.imwrite(path, np.array([[0, 40]], np.uint8))
    load = LoadRSAnnotations()
    for _ in range(2):
        out = load(dict(seg_map_path=str(path), reduce_zero_label=False))
    np.testing.assert_array_equal(out['gt_seg_map'], [[0, 40]])
    for handler in MMLogger.get_current_instance().handlers:
        handler.flush()
    lines = [line for line in log.read_text().splitlines() if 'not checked' in line]
    assert len(lines) == 1 and 'WARNING' in lines[0] and str(path) in lines[0]
    assert 'LoadRSAnnotations(num_classes=...)' in lines[0]
