"""Boxes mmdet drops (no size, outside the image, category not in classes) are counted, logged
in one WARNING line naming the annotation file, and refused above max_dropped_box_share."""
import copy
import json
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.runner import Runner

from mars.datasets import UBCV2_FINE_CLASSES, SARDetDataset, UBCV2Dataset
from mars.testing.synthetic_det import make_synthetic_sardet, make_synthetic_ubcv2, write_json

SARDET_CONFIG = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'fixtures', 'configs',
                         'mars-tiny_cascade-rcnn_fpn_1xb2-1e_tiny-sardet.py')


def _sardet(root, **kwargs):
    return SARDetDataset(data_root=str(root), ann_file='Annotations/train.json',
                         data_prefix=dict(img='JPEGImages/train/'), **kwargs)


def _add_boxes(ann_file, boxes):
    """Append annotations ``(bbox, category name or id)`` to image 1 of ``ann_file``; returns
    the total box count and the new ids."""
    with open(ann_file) as f:
        coco = json.load(f)
    ids_of = {c['name']: c['id'] for c in coco['categories']}
    new_ids = []
    for bbox, category in boxes:
        new_ids.append(max(a['id'] for a in coco['annotations']) + 1)
        coco['annotations'].append(dict(
            id=new_ids[-1], image_id=1, bbox=bbox, area=max(bbox[2] * bbox[3], 0), iscrowd=0,
            category_id=ids_of.get(category, category)))
    write_json(ann_file, coco)
    return len(coco['annotations']), new_ids


@pytest.fixture
def log_file(tmp_path):
    """A fresh current MMLogger writing to a file; returns a reader of that file."""
    path = tmp_path / 'dataset.log'
    MMLogger.get_instance(f'dropped_boxes_{path}', log_file=str(path))

    def read():
        for handler in MMLogger.get_current_instance().handlers:
            handler.flush()
        return path.read_text() if path.exists() else ''

    return read


def _instances(dataset):
    return sum(len(dataset.get_data_info(i)['instances']) for i in range(len(dataset)))


def test_clean_split_logs_nothing(tmp_path, log_file):
    make_synthetic_sardet(tmp_path, splits=dict(train=4))
    _sardet(tmp_path)
    assert 'dropped' not in log_file()


def test_warning_counts_each_reason(tmp_path, log_file):
    ann_file = make_synthetic_sardet(tmp_path, splits=dict(train=40))['train']
    total, (zero_w, outside, unknown) = _add_boxes(ann_file, [
        ([10, 10, 0, 12], 'ship'), ([500, 500, 10, 10], 'ship'), ([5, 5, 10, 10], 99)])
    dataset = _sardet(tmp_path, max_dropped_box_share=0.1)
    # The counts agree with what mmdet really kept.
    assert _instances(dataset) == total - 3
    lines = [line for line in log_file().splitlines() if 'dropped' in line]
    assert len(lines) == 1 and 'WARNING' in lines[0]
    line = lines[0]
    assert f'{ann_file}: 3 of {total} boxes' in line
    assert f'1 width or height < 1 px or area <= 0, e.g. annotation ids [{zero_w}]' in line
    assert f'1 outside the image, e.g. annotation ids [{outside}]' in line
    assert f"1 category id not among the file's categories, e.g. annotation ids [{unknown}]" \
        in line


def test_refused_above_the_share_naming_the_file(tmp_path, log_file):
    ann_file = make_synthetic_sardet(tmp_path, splits=dict(train=4))['train']
    total, _ = _add_boxes(ann_file, [([3, 3, 0.5, 9], 'ship'), ([3, 3, 9, 0], 'ship')])
    with pytest.raises(ValueError) as error:
        _sardet(tmp_path)
    message = str(error.value)
    assert f'{ann_file}: 2 of {total} boxes' in message
    assert '2 width or height < 1 px or area <= 0' in message
    assert 'more than max_dropped_box_share=0.01' in message
    assert f'WARNING - {ann_file}: 2 of {total} boxes' in log_file()
    # The limit is the user's: allowed in full, the same split loads.
    dataset = _sardet(tmp_path, max_dropped_box_share=1.0)
    assert _instances(dataset) == total - 2
    with pytest.raises(ValueError, match='max_dropped_box_share must be a share'):
        _sardet(tmp_path, max_dropped_box_share=5)


def test_class_subset_counts_unless_chosen(tmp_path, log_file):
    ann_file = make_synthetic_sardet(tmp_path, splits=dict(train=4))['train']
    with open(ann_file) as f:
        total = len(json.load(f)['annotations'])
    # The fixture's boxes are ships and aircraft: a ship-only class list drops the aircraft.
    with pytest.raises(ValueError, match=r'category not in classes \(aircraft: \d+\).*'
                                         r'drop_unlisted_categories=True'):
        _sardet(tmp_path, metainfo=dict(classes=('ship', )))
    dataset = _sardet(tmp_path, metainfo=dict(classes=('ship', )),
                      drop_unlisted_categories=True)
    dropped = total - _instances(dataset)
    assert dropped > 0
    assert f'{ann_file}: {dropped} of {total} boxes' in log_file()


def test_ubcv2_is_checked_too(tmp_path):
    files = make_synthetic_ubcv2(tmp_path, splits=dict(train=2))
    ann_file = files['train']
    _add_boxes(ann_file, [([1, 1, -4, 8], 'flat_roof')])
    with pytest.raises(ValueError, match=rf'{ann_file}: 1 of \d+ boxes'):
        UBCV2Dataset(data_root=str(tmp_path), ann_file=ann_file,
                     data_prefix=dict(img='train/merge/'),
                     metainfo=dict(classes=UBCV2_FINE_CLASSES))


def test_runner_refuses_the_training_split(tmp_path):
    files = make_synthetic_sardet(tmp_path, splits=dict(train=4, val=3))
    _add_boxes(files['train'], [([3, 3, 0, 9], 'ship')] * 3)
    cfg = Config.fromfile(SARDET_CONFIG)
    for loader in ('train', 'val', 'test'):
        cfg[f'{loader}_dataloader'].dataset.data_root = str(tmp_path) + '/'
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(copy.deepcopy(cfg))
    with pytest.raises(ValueError, match=rf'{files["train"]}: 3 of \d+ boxes .*'
                                         r'max_dropped_box_share'):
        runner.train()
