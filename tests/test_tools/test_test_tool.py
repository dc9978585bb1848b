"""tools/test.py on the mmseg-scope fixture config: metrics, --out and --show-dir."""
import glob
import os.path as osp

from mmcv import imread

NUM_TEST_IMAGES = 2  # the `val` split of the tiny dataset


def test_test_out_and_show_dir(tmp_path, run_tool, trained_seg, seg_config,
                               seg_data_options):
    work_dir = tmp_path / 'test_work_dir'
    out_dir = tmp_path / 'predictions'
    output = run_tool('test.py', seg_config, trained_seg['checkpoint'], '--work-dir', work_dir,
                      '--out', out_dir, '--show-dir', 'vis', '--cfg-options',
                      *seg_data_options)
    assert 'mIoU' in output and 'Load checkpoint from' in output

    # --out: one label map per test image, with the class indices as values.
    predictions = sorted(glob.glob(str(out_dir / '*.png')))
    assert [osp.basename(p) for p in predictions] == ['val_0.png', 'val_1.png']
    label_map = imread(predictions[0], flag='unchanged')
    assert label_map.shape == (64, 64) and set(label_map.ravel()) <= {0, 1}

    # --show-dir: every test image drawn (not only every 50th), under the work dir.
    drawings = glob.glob(str(work_dir / 'vis' / 'vis_data' / 'vis_image' / '*.png'))
    assert len(drawings) == NUM_TEST_IMAGES

    # The metrics are also kept as json in the run's log dir, as mmseg's tool does.
    assert glob.glob(str(work_dir / '*' / '*.json'))
