"""tools/train.py on the mmseg-scope fixture config: work dir contents and --resume."""
import os
import os.path as osp
import re

from mmengine.config import Config


def _log_of(work_dir):
    """Text of the newest run's log in ``work_dir`` (``<timestamp>/<timestamp>.log``)."""
    runs = sorted(d for d in os.listdir(work_dir)
                  if osp.isfile(osp.join(work_dir, d, f'{d}.log')))
    assert runs, f'no run log in {work_dir}'
    with open(osp.join(work_dir, runs[-1], f'{runs[-1]}.log')) as f:
        return f.read()


def test_train_writes_work_dir(trained_seg, seg_config):
    work_dir = trained_seg['work_dir']
    config_dump = osp.join(work_dir, osp.basename(seg_config))
    assert osp.isfile(config_dump)
    # The dump is a plain config: the `arch_channels` import is resolved to its value.
    dumped = Config.fromfile(config_dump)
    assert dumped.model.decode_head.in_channels == [32, 64, 128, 256]
    assert dumped.default_scope == 'mmseg'
    for name in ('iter_2.pth', 'iter_4.pth'):
        assert osp.isfile(osp.join(work_dir, name))
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read().strip().endswith('iter_4.pth')
    log = _log_of(work_dir)
    assert 'Iter(train) [4/4]' in log
    assert 'mIoU' in log  # validation at iteration 4


def test_train_resume_continues_iterations(tmp_path, run_tool, seg_config, seg_data_options):
    work_dir = str(tmp_path / 'work_dir')
    run_tool('train.py', seg_config, '--work-dir', work_dir, '--cfg-options',
             *seg_data_options, 'train_cfg.max_iters=2')
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth'))
    assert not osp.exists(osp.join(work_dir, 'iter_4.pth'))

    output = run_tool('train.py', seg_config, '--work-dir', work_dir, '--resume',
                      '--cfg-options', *seg_data_options, 'train_cfg.max_iters=4')
    assert 'Auto resumed from the latest checkpoint' in output
    assert re.search(r'resumed epoch: 0, iter: 2\b', output)
    # The counter goes on from 2: iterations 3 and 4 run, 1 and 2 do not run again.
    assert 'Iter(train) [3/4]' in output and 'Iter(train) [4/4]' in output
    assert 'Iter(train) [1/4]' not in output
    assert osp.isfile(osp.join(work_dir, 'iter_4.pth'))
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read().strip().endswith('iter_4.pth')
