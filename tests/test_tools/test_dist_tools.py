"""tools/dist_train.sh and tools/dist_test.sh with 2 CPU processes (gloo)."""
import glob
import os.path as osp

from mmengine.config import Config

WORLD_SIZE = 2


def test_dist_train_and_test_on_cpu(tmp_path, run_script, seg_config, seg_data_options,
                                    free_port):
    work_dir = tmp_path / 'dist_work_dir'
    env = dict(PORT=str(free_port))
    run_script('dist_train.sh', seg_config, WORLD_SIZE, '--work-dir', work_dir,
               '--cfg-options', *seg_data_options, 'train_cfg.max_iters=2',
               'train_cfg.val_interval=2', 'model.decode_head.norm_cfg.type=SyncBN', env=env)

    checkpoint = work_dir / 'iter_2.pth'
    assert checkpoint.is_file()
    # The dump records the CPU set-up; `import mars` registers the wrapper it names.
    dumped = Config.fromfile(work_dir / osp.basename(seg_config))
    assert dumped.env_cfg.dist_cfg.backend == 'gloo'
    assert dumped.model_wrapper_cfg.type == 'MMCPUDistributedDataParallel'
    assert dumped.custom_imports.imports == ['mars']
    logs = glob.glob(str(work_dir / '*' / '*.log'))
    assert len(logs) == 1, 'only rank 0 writes the log'
    with open(logs[0]) as f:
        log = f.read()
    assert 'Distributed training: True' in log
    assert f'GPU number: {WORLD_SIZE}' in log  # mmengine's name for the world size
    assert f'CPU data parallel over world size {WORLD_SIZE} (backend gloo)' in log
    # SyncBN (as in GPU configs) cannot run on CPU tensors: reverted, with a warning.
    assert 'reverting SyncBN layers to BN' in log
    assert 'Iter(train) [2/2]' in log and 'mIoU' in log

    # Distributed testing gathers the predictions of both ranks before evaluating.
    output = run_script('dist_test.sh', seg_config, checkpoint, WORLD_SIZE, '--work-dir',
                        tmp_path / 'dist_test', '--cfg-options', *seg_data_options, env=env)
    assert 'mIoU' in output
    assert osp.isdir(tmp_path / 'dist_test')
