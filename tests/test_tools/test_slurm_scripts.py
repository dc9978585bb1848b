"""tools/slurm_train.sh and slurm_test.sh build the expected srun command."""
import os
import os.path as osp
import stat


def _fake_srun(tmp_path):
    """An ``srun`` on PATH that records its arguments instead of starting a job."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    srun = bin_dir / 'srun'
    record = tmp_path / 'srun_args'
    srun.write_text(f'#!/usr/bin/env bash\nprintf "%s\\n" "$@" > {record}\n')
    srun.chmod(srun.stat().st_mode | stat.S_IEXEC)
    return dict(PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}'), record


def test_slurm_train_command(tmp_path, run_script):
    env, record = _fake_srun(tmp_path)
    run_script('slurm_train.sh', 'gpu', 'job', 'cfg.py', 'wd', '--amp', env=env)
    args = record.read_text().splitlines()
    assert args[:2] == ['-p', 'gpu'] and '--job-name=job' in args
    assert '--gres=gpu:4' in args and '--ntasks=4' in args
    assert args[args.index('-u') + 1:] == [
        osp.join('tools', 'train.py'), 'cfg.py', '--work-dir=wd', '--launcher=slurm', '--amp']


def test_slurm_test_command_on_cpu_partition(tmp_path, run_script):
    env, record = _fake_srun(tmp_path)
    env.update(GPUS='2', GPUS_PER_NODE='0')
    run_script('slurm_test.sh', 'cpu', 'job', 'cfg.py', 'ckpt.pth', '--out', 'preds',
               env=env)
    args = record.read_text().splitlines()
    assert not any(a.startswith('--gres') for a in args)
    assert '--ntasks=2' in args and '--ntasks-per-node=1' in args
    assert args[args.index('-u') + 1:] == [
        osp.join('tools', 'test.py'), 'cfg.py', 'ckpt.pth', '--launcher=slurm', '--out',
        'preds']
