"""confusion_matrix.py, browse_dataset.py, analyze_logs.py and results_table.py."""
import json
import os
import os.path as osp

import mmcv
import numpy as np
import pytest

from mars.testing.synthetic import TINY_EARTHMISS_CITIES


def test_confusion_matrix_from_checkpoint_and_from_predictions(
        tmp_path, deepglobe_root, run_tool_main, configs, save_checkpoint):
    from mars.apis import inference_model
    checkpoint, model = save_checkpoint(configs['deepglobe'], tmp_path / 'road.pth')
    data = [f'test_dataloader.dataset.data_root={deepglobe_root}']
    run_tool_main('analysis_tools/confusion_matrix.py', configs['deepglobe'], checkpoint,
                  '--out-dir', tmp_path / 'from_ckpt', '--cfg-options', *data)
    result = json.loads((tmp_path / 'from_ckpt' / 'confusion_matrix.json').read_text())
    assert result['classes'] == ['background', 'road']
    matrix = np.array(result['matrix'])
    assert matrix.sum() == 2 * 64 * 64  # two 64x64 test tiles, every pixel labelled
    assert osp.getsize(tmp_path / 'from_ckpt' / 'confusion_matrix.png') > 1000
    # The same predictions written as label maps (as tools/test.py --out does).
    pred_dir = tmp_path / 'preds'
    pred_dir.mkdir()
    ids = (deepglobe_root / 'test.txt').read_text().split()
    for tile in ids:
        image = mmcv.imread(str(deepglobe_root / 'train' / f'{tile}_sat.jpg'),
                            channel_order='rgb')
        pred = inference_model(model, image).pred_sem_seg.data[0].numpy().astype(np.uint8)
        mmcv.imwrite(pred, str(pred_dir / f'{tile}_sat.png'))
    run_tool_main('analysis_tools/confusion_matrix.py', configs['deepglobe'], pred_dir,
                  '--out-dir', tmp_path / 'from_preds', '--cfg-options', *data)
    again = json.loads((tmp_path / 'from_preds' / 'confusion_matrix.json').read_text())
    assert again['matrix'] == result['matrix']
    assert again['metrics']['mIoU'] == pytest.approx(result['metrics']['mIoU'])
    os.remove(pred_dir / f'{ids[0]}_sat.png')
    with pytest.raises(FileNotFoundError, match=f'{ids[0]}_sat.png'):
        run_tool_main('analysis_tools/confusion_matrix.py', configs['deepglobe'], pred_dir,
                      '--out-dir', tmp_path / 'x', '--cfg-options', *data)


def test_browse_multimodal_dataset_shows_every_modality(tmp_path, earthmiss_root,
                                                        ubc_height_root, run_tool_main,
                                                        configs):
    cities = ','.join(TINY_EARTHMISS_CITIES['train'])
    run_tool_main('analysis_tools/browse_dataset.py', configs['earthmiss'], '--output-dir',
                  tmp_path / 'vis_earthmiss', '--num', 3, '--cfg-options',
                  f'train_dataloader.dataset.data_root={earthmiss_root}',
                  f'train_dataloader.dataset.cities=[{cities}]')
    drawings = sorted(os.listdir(tmp_path / 'vis_earthmiss'))
    assert len(drawings) == 3
    drawing = mmcv.imread(str(tmp_path / 'vis_earthmiss' / drawings[0]), channel_order='rgb')
    # RGB | SAR | label panels of the 64x64 tiles (random crop 128 keeps 64), 4-pixel gaps.
    assert drawing.shape == (18 + 64, 3 * 64 + 2 * 4, 3)
    sar = drawing[18:, 68:132]
    assert (sar[..., 0] == sar[..., 1]).all()  # SAR panel: grey (dB stretch)
    assert sar.min() == 0 and sar.max() == 255  # stretched to the full range
    run_tool_main('analysis_tools/browse_dataset.py', configs['height'], '--output-dir',
                  tmp_path / 'vis_height', '--num', 2, '--split', 'val', '--cfg-options',
                  f'val_dataloader.dataset.data_root={ubc_height_root}',
                  'val_dataloader.dataset.split=train')
    first = sorted(os.listdir(tmp_path / 'vis_height'))[0]
    drawing = mmcv.imread(str(tmp_path / 'vis_height' / first))
    assert drawing.shape == (18 + 64, 3 * 64 + 2 * 4, 3)  # RGB | SAR | height


def test_browse_detection_dataset_draws_boxes(tmp_path, run_tool_main, configs):
    from mars.testing.synthetic_det import make_synthetic_sardet
    root = tmp_path / 'sardet'
    make_synthetic_sardet(root, splits=dict(train=2), seed=0)
    run_tool_main('analysis_tools/browse_dataset.py', configs['sardet'], '--output-dir',
                  tmp_path / 'vis', '--cfg-options',
                  f'train_dataloader.dataset.data_root={root}{os.sep}')
    drawings = sorted(os.listdir(tmp_path / 'vis'))
    assert len(drawings) == 2
    drawing = mmcv.imread(str(tmp_path / 'vis' / drawings[0]), channel_order='rgb')
    boxes = (drawing[..., 0] == 255) & (drawing[..., 1] == 0) & (drawing[..., 2] == 0)
    assert boxes.sum() > 40  # red box outlines over the image


def write_scalars(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(json.dumps(r) + '\n' for r in records))


def test_analyze_logs_plots_curves(tmp_path, run_tool_main, capsys):
    # mmengine's vis_data/scalars.json: training records every logged iteration, then
    # validation records at the same step.
    log = tmp_path / 'work' / '20260101_000000' / 'vis_data' / 'scalars.json'
    write_scalars(log, [dict(lr=1e-3, loss=2.0 - 0.1 * i, step=i) for i in range(1, 9)] +
                  [dict(mIoU=40.0, aAcc=80.0, step=8)])
    run_tool_main('analysis_tools/analyze_logs.py', tmp_path / 'work', '--keys', 'loss',
                  'mIoU', '--out', tmp_path / 'curves.png')
    assert mmcv.imread(str(tmp_path / 'curves.png')).shape[0] > 400  # two subplots
    assert 'loss last 1.2000 min 1.2000 max 1.9000 (8 points)' in capsys.readouterr().out
    with pytest.raises(KeyError, match="'mF1' is not in"):
        run_tool_main('analysis_tools/analyze_logs.py', log, '--keys', 'mF1', '--out',
                      tmp_path / 'x.png')


def test_results_table_picks_the_headline_metric_of_each_task(tmp_path, run_tool_main,
                                                              capsys):
    runs = dict(
        road=dict(dataset='DeepGlobeRoadDataset', metrics={'mIoU': 70.0, 'IoU.road': 61.5,
                                                           'F1.road': 76.2, 'aAcc': 97.0}),
        earthmiss=dict(dataset='EarthMissDataset', metrics={
            'rgb+sar/mIoU': 50.0, 'rgb/mIoU': 45.0, 'sar/mIoU': 30.0, 'rgb+sar/aAcc': 80.0}),
        height=dict(dataset='UBCHeightDataset', metrics={'MAE': 1.25, 'RMSE': 2.5,
                                                         'delta1': 0.5}),
        change=dict(dataset='WHUCDDataset', metrics={'IoU.change': 80.0, 'F1.change': 88.9,
                                                     'mIoU': 90.0}),
        bright=dict(dataset='BRIGHTDataset', metrics={'mIoU': 55.0, 'loc_F1': 70.0,
                                                      'damage_F1': 40.0, 'OA': 90.0}),
        det=dict(dataset='SARDetDataset', metrics={'coco/bbox_mAP': 0.512,
                                                   'coco/bbox_mAP_50': 0.8}),
    )
    for name, run in runs.items():
        work = tmp_path / name
        work.mkdir()
        (work / 'test_results.json').write_text(json.dumps(dict(
            config=f'mars-base_{name}', checkpoint=f'/ckpt/{name}.pth', **run)))
    (tmp_path / 'road' / 'complexity.json').write_text(json.dumps(dict(
        params=120.5e6, flops=250.0e9, shape=[3, 512, 512])))
    run_tool_main('misc/results_table.py', tmp_path, '--out', tmp_path / 'table.md',
                  '--csv', tmp_path / 'table.csv')
    table = (tmp_path / 'table.md').read_text().splitlines()
    assert table == capsys.readouterr().out.strip().splitlines()
    rows = {line.split(' | ')[2]: line for line in table[2:]}
    assert 'coco/bbox_mAP 0.51, coco/bbox_mAP_50 0.80' in rows['mars-base_det']
    assert 'mIoU 55.00, loc_F1 70.00, damage_F1 40.00' in rows['mars-base_bright']
    assert 'IoU.change 80.00, F1.change 88.90 |' in rows['mars-base_change']
    assert 'MAE 1.25, RMSE 2.50 |' in rows['mars-base_height']
    assert 'rgb+sar/mIoU 50.00, rgb/mIoU 45.00, sar/mIoU 30.00' in rows['mars-base_earthmiss']
    assert '| IoU.road 61.50, F1.road 76.20, mIoU 70.00 | 120.50 | 250.00 @512x512 |' in \
        rows['mars-base_road']
    csv_lines = (tmp_path / 'table.csv').read_text().splitlines()
    assert len(csv_lines) == 7 and 'IoU.road' in csv_lines[0]


def test_test_tool_results_feed_the_table(tmp_path, deepglobe_root, run_tool, configs,
                                          save_checkpoint, run_tool_main, capsys):
    """tools/test.py writes test_results.json with the config name; the table reads it."""
    checkpoint, _ = save_checkpoint(configs['deepglobe'], tmp_path / 'road.pth')
    work = tmp_path / 'work'
    run_tool('test.py', configs['deepglobe'], checkpoint, '--work-dir', work, '--cfg-options',
             f'test_dataloader.dataset.data_root={deepglobe_root}',
             'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False')
    result = json.loads((work / 'test_results.json').read_text())
    assert result['config'] == osp.splitext(osp.basename(configs['deepglobe']))[0]
    assert result['dataset'] == 'DeepGlobeRoadDataset' and result['checkpoint'] == checkpoint
    assert result['backbone'] == dict(type='MaRSBackbone', name='mars-tiny')
    assert 0 <= result['metrics']['IoU.road'] <= 100
    capsys.readouterr()
    run_tool_main('misc/results_table.py', work)
    assert f'| roads | DeepGlobeRoadDataset | {result["config"]} | IoU.road ' in \
        capsys.readouterr().out


def test_analyze_logs_keeps_the_complete_records_of_a_cut_log(tmp_path, run_tool_main,
                                                              capsys):
    log = tmp_path / 'scalars.json'
    write_scalars(log, [dict(loss=2.0 - 0.1 * i, step=i) for i in range(1, 5)])
    with open(log, 'a') as f:
        f.write('{"loss": 1.5, "st')  # a run killed while writing its last record
    run_tool_main('analysis_tools/analyze_logs.py', log, '--keys', 'loss', '--out',
                  tmp_path / 'curves.png')
    captured = capsys.readouterr()
    assert f'{log}:5 is cut short' in captured.err
    assert 'loss last 1.6000 min 1.6000 max 1.9000 (4 points)' in captured.out
    # A broken record in the middle is not a cut: refused, naming the line.
    log.write_text('{"loss": 1.0, "step": 1}\n{"loss": \n{"loss": 0.5, "step": 2}\n')
    with pytest.raises(ValueError, match=f'{log}:2 is not a JSON record'):
        run_tool_main('analysis_tools/analyze_logs.py', log, '--keys', 'loss', '--out',
                      tmp_path / 'x.png')


def test_results_table_names_a_half_written_result(tmp_path, run_tool_main):
    result = tmp_path / 'run' / 'test_results.json'
    result.parent.mkdir()
    result.write_text('{"config": "mars-base_x", "metrics": {"mIoU": 5')
    with pytest.raises(ValueError, match=f'{result} is not complete JSON'):
        run_tool_main('misc/results_table.py', tmp_path)
    result.write_text('{"mIoU": 5.0}')
    with pytest.raises(ValueError, match=f"{result} is not a tools/test.py result"):
        run_tool_main('misc/results_table.py', tmp_path)
