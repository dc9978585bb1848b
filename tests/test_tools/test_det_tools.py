"""tools/train.py and tools/test.py on the mmdet-scope (Faster R-CNN) fixture config."""
import glob
import os.path as osp
import pickle

from mmengine.config import Config


def test_det_train_writes_epoch_checkpoint(trained_det, det_config):
    work_dir = trained_det['work_dir']
    # Epoch-based loop of mmdet's 1x schedule, cut to one epoch of 2 iterations.
    assert 'Epoch(train) [1][2/2]' in trained_det['output']
    assert 'coco/bbox_mAP' in trained_det['output']
    dumped = Config.fromfile(osp.join(work_dir, osp.basename(det_config)))
    assert dumped.default_scope == 'mmdet'
    assert dumped.model.neck.in_channels == [32, 64, 128, 256]
    assert dumped.model.backbone.type == 'MaRSBackbone'


def test_det_test_out_pkl_and_show_dir(tmp_path, run_tool, trained_det, det_config,
                                       det_data_options, tiny_coco_root):
    work_dir = tmp_path / 'det_test'
    results = tmp_path / 'results.pkl'
    output = run_tool('test.py', det_config, trained_det['checkpoint'], '--work-dir',
                      work_dir, '--out', results, '--show-dir', 'vis', '--cfg-options',
                      *det_data_options)
    for key in ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_75'):
        assert key in output

    # --out: DumpDetResults pickles one prediction dict per image.
    with open(results, 'rb') as f:
        predictions = pickle.load(f)
    assert len(predictions) == len(glob.glob(osp.join(tiny_coco_root, 'images', '*.png')))
    assert {'img_id', 'pred_instances'} <= set(predictions[0])
    assert predictions[0]['pred_instances']['bboxes'].shape[-1] == 4

    # --show-dir: mmdet draws into <work dir>/<timestamp>/<show dir>.
    drawings = glob.glob(str(work_dir / '*' / 'vis' / '*.png'))
    assert len(drawings) == len(predictions)
