"""CocoByNameMetric on real COCO evaluation: ground truth as predictions gives 1, nothing 0,
and shuffled category ids keep their names."""
import json

import numpy as np
import pytest
import torch
from mmdet.evaluation import CocoMetric
from pycocotools import mask as mask_utils

from mars.datasets import SARDET_CLASSES, UBCV2_FINE_CLASSES
from mars.testing.synthetic_det import make_synthetic_sardet
from mars.evaluation.metrics import CocoByNameMetric


def _predictions(ann_file, classes, empty=False):
    """One prediction dict per image: its ground truth (label by category name) or none."""
    with open(ann_file) as f:
        coco = json.load(f)
    names = {c['id']: c['name'] for c in coco['categories']}
    samples = []
    for image in coco['images']:
        anns = [a for a in coco['annotations'] if a['image_id'] == image['id']][:0 if empty
                                                                                else None]
        boxes = [[x, y, x + w, y + h] for x, y, w, h in (a['bbox'] for a in anns)]
        pred = dict(
            bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            scores=torch.ones(len(anns)),
            labels=torch.tensor([classes.index(names[a['category_id']]) for a in anns],
                                dtype=torch.long))
        if anns and 'segmentation' in anns[0]:
            masks = [mask_utils.decode(mask_utils.frPyObjects(
                a['segmentation'], image['height'], image['width'])).max(-1) for a in anns]
            pred['masks'] = torch.from_numpy(np.stack(masks).astype(bool))
        elif 'segmentation' in (coco['annotations'] or [{}])[0]:
            pred['masks'] = torch.zeros((0, image['height'], image['width']), dtype=torch.bool)
        samples.append(dict(img_id=image['id'], ori_shape=(image['height'], image['width']),
                            pred_instances=pred))
    return samples


def _evaluate(metric_type, ann_file, classes, metric='bbox', empty=False):
    metric = metric_type(ann_file=str(ann_file), metric=metric)
    metric.dataset_meta = dict(classes=classes)
    metric.process({}, _predictions(ann_file, classes, empty))
    return metric.evaluate(len(metric.results))


@pytest.fixture
def shuffled_sardet(tmp_path):
    files = make_synthetic_sardet(tmp_path, splits=dict(val=6), shuffle_category_ids=True)
    return files['val']


def test_ground_truth_scores_one_and_nothing_zero(shuffled_sardet):
    perfect = _evaluate(CocoByNameMetric, shuffled_sardet, SARDET_CLASSES)
    assert perfect['coco/bbox_mAP'] == pytest.approx(1.0)
    assert perfect['coco/bbox_mAP_50'] == pytest.approx(1.0)
    empty = _evaluate(CocoByNameMetric, shuffled_sardet, SARDET_CLASSES, empty=True)
    assert empty['coco/bbox_mAP'] == 0


def test_shuffled_ids_need_the_name_mapping(shuffled_sardet):
    # mmdet's CocoMetric maps label k to the k-th json category: the same perfect
    # predictions score below 1 once ids are shuffled.
    plain = _evaluate(CocoMetric, shuffled_sardet, SARDET_CLASSES)
    assert plain['coco/bbox_mAP'] < 0.9


def test_segm_ground_truth_scores_one(ubcv2_root):
    fine = ubcv2_root / 'annotations' / 'roof_fine_val.json'
    result = _evaluate(CocoByNameMetric, fine, UBCV2_FINE_CLASSES, metric=['bbox', 'segm'])
    assert result['coco/bbox_mAP'] == pytest.approx(1.0)
    assert result['coco/segm_mAP'] == pytest.approx(1.0)
    single = ubcv2_root / 'annotations' / 'roof_single_val.json'
    empty = _evaluate(CocoByNameMetric, single, ('building', ), ['bbox', 'segm'], empty=True)
    assert empty['coco/bbox_mAP'] == empty['coco/segm_mAP'] == 0


def test_unknown_class_is_an_error(shuffled_sardet):
    with pytest.raises(ValueError, match="'boat'"):
        _evaluate(CocoByNameMetric, shuffled_sardet, ('ship', 'boat'), empty=True)
