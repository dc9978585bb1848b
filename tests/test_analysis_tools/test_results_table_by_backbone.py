"""results_table.py --by-backbone: rows are backbones, columns datasets and metrics."""
import json

import pytest
from mmengine.config import Config

from helpers import repo_path

from mars.models.backbone_name import backbone_name


def _write(root, name, backbone, dataset, metrics):
    work = root / name
    work.mkdir()
    result = dict(config=name, checkpoint=f'/ckpt/{name}.pth', dataset=dataset,
                  metrics=metrics)
    if backbone is not None:
        result['backbone'] = dict(type='X', name=backbone)
    (work / 'test_results.json').write_text(json.dumps(result))
    return work / 'test_results.json'


def test_by_backbone_table_reads_like_the_paper(tmp_path, run_tool_main, capsys):
    road = {'IoU.road': 61.5, 'F1.road': 76.2, 'mIoU': 70.0}
    det = {'coco/bbox_mAP': 0.512, 'coco/bbox_mAP_50': 0.8}
    _write(tmp_path, 'mars_road', 'mars-base', 'DeepGlobeRoadDataset', road)
    _write(tmp_path, 'mars_det', 'mars-base', 'SARDetDataset', det)
    _write(tmp_path, 'vit_road', 'vit-b16', 'DeepGlobeRoadDataset',
           dict(road, **{'IoU.road': 55.25}))
    _write(tmp_path, 'r50_det', 'resnet50', 'SARDetDataset', {'coco/bbox_mAP': 0.4})
    _write(tmp_path, 'old_run', None, 'SARDetDataset', {'coco/bbox_mAP': 0.3})
    run_tool_main('misc/results_table.py', tmp_path, '--by-backbone', '--out',
                  tmp_path / 'table.md', '--csv', tmp_path / 'table.csv')
    table = (tmp_path / 'table.md').read_text().splitlines()
    assert table == capsys.readouterr().out.strip().splitlines()
    assert table[0] == ('| backbone | SARDetDataset coco/bbox_mAP | SARDetDataset '
                        'coco/bbox_mAP_50 | DeepGlobeRoadDataset IoU.road | '
                        'DeepGlobeRoadDataset F1.road | DeepGlobeRoadDataset mIoU |')
    rows = {line.split(' | ')[0][2:]: line for line in table[2:]}
    assert rows['mars-base'] == '| mars-base | 0.51 | 0.80 | 61.50 | 76.20 | 70.00 |'
    assert rows['vit-b16'] == '| vit-b16 | - | - | 55.25 | 76.20 | 70.00 |'
    assert rows['resnet50'] == '| resnet50 | 0.40 | - | - | - | - |'
    assert rows['unknown (old_run)'].startswith('| unknown (old_run) | 0.30 |')
    csv_lines = (tmp_path / 'table.csv').read_text().splitlines()
    assert csv_lines[0].startswith('backbone,SARDetDataset coco/bbox_mAP,')
    assert 'resnet50,0.4,,,,' in csv_lines


def test_two_results_of_one_backbone_on_one_dataset_are_refused(tmp_path, run_tool_main):
    first = _write(tmp_path, 'ours', 'mars-base', 'DeepGlobeRoadDataset', {'IoU.road': 60.0})
    second = _write(tmp_path, 'paper', 'mars-base', 'DeepGlobeRoadDataset', {'IoU.road': 58.0})
    with pytest.raises(ValueError, match=rf"backbone 'mars-base' on DeepGlobeRoadDataset: "
                       rf'{first}.* and {second}'):
        run_tool_main('misc/results_table.py', tmp_path, '--by-backbone')


@pytest.mark.parametrize('config, name', [
    ('configs/road/deepglobe/mars-base_upernet_8xb2-80k_deepglobe-512x512.py', 'mars-base'),
    ('configs/detection/sardet100k/mars-large-sar_faster-rcnn_fpn_8xb2-1x_sardet100k.py',
     'mars-large-sar'),
    ('configs/road/deepglobe/baselines/vit-b16_upernet_8xb2-80k_deepglobe-512x512.py',
     'vit-b16'),
    ('configs/detection/sardet100k/baselines/satmae-vit-l16_faster-rcnn_fpn_8xb2-1x_'
     'sardet100k.py', 'satmae-vit-l16'),
    # Wrappers of baseline encoders are named after the encoders, not MaRS.
    ('configs/landcover/earthmiss/baselines/resnet50_upernet_8xb2-40k_earthmiss-512x512.py',
     'resnet50 (rgb+sar, sum)'),
    ('configs/change/bright/baselines/satmae-vit-l16_siamese-upernet_8xb2-40k_bright-512x512.py',
     'satmae-vit-l16 (siamese)'),
    ('configs/change/whu_cd/mars-base_siamese-upernet_8xb4-40k_whu-cd-256x256.py',
     'mars-base (siamese)'),
    ('configs/detection/ubcv2/baselines/swin-b_cascade-mask-rcnn_fpn_8xb2-1x_ubcv2.py',
     'swin-b'),
])
def test_backbone_names_of_configs(config, name):
    assert backbone_name(Config.fromfile(repo_path(config)).model.backbone) == name


def test_backbone_names_of_other_backbones():
    assert backbone_name(dict(type='MaRSMultiModalBackbone', arch='base',
                              modalities=dict(rgb={}, sar={}), fusion='attention')) == \
        'mars-base (rgb+sar, attention)'
    assert backbone_name(dict(type='MaRSSiameseBackbone', arch='large')) == \
        'mars-large (siamese)'
    assert backbone_name(dict(type='BaselineBackbone', arch='vit-b16',
                              feature_pyramid='last')) == 'vit-b16 (last map)'
    assert backbone_name(dict(type='ResNet', depth=50)) == 'ResNet-50'
    assert backbone_name(None) == 'none'
