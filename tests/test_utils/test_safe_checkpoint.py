import argparse
import collections
import io
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel
from mmengine.registry import METRICS
from mmengine.runner import Runner
from mmengine.runner.checkpoint import CheckpointLoader

from mars.utils import output_files
from mars.utils.safe_checkpoint import (TRUST_ENV, CorruptCheckpointError,
                                        UnsafeCheckpointError, load_checkpoint_file)


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(inputs)
        return dict(loss=out.pow(2).mean()) if mode == 'loss' else out


def train_toy_runner(work_dir, max_iters=2, max_keep_ckpts=-1, **kwargs):
    torch.manual_seed(0)  # same data and initial weights in every call
    runner = Runner(
        model=ToyModel(), work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=[dict(inputs=torch.randn(2)) for _ in range(8)], batch_size=2,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=1,
                                           max_keep_ckpts=max_keep_ckpts)),
        default_scope='mmengine', **kwargs)
    runner.train()
    return runner


class RunsCode:
    """Unpickling this runs a shell command: what a malicious .pth does."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}',)


def test_runner_checkpoint_loads_with_weights_only_and_no_getattr(tmp_path):
    runner = train_toy_runner(tmp_path / 'run')
    path = str(tmp_path / 'run' / 'iter_2.pth')
    # Upstream mmengine pickles HistoryBuffer statistics as getattr(...); ours must not.
    assert 'builtins.getattr' not in torch.serialization.get_unsafe_globals_in_checkpoint(path)
    checkpoint = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert checkpoint['meta']['iter'] == 2
    buffer = checkpoint['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.statistics('mean') == pytest.approx(
        runner.message_hub.get_scalar('train/loss').mean())
    assert torch.equal(checkpoint['state_dict']['linear.weight'],
                       runner.model.state_dict()['linear.weight'])


def test_resume_continues_from_the_saved_iteration(tmp_path):
    straight = train_toy_runner(tmp_path / 'straight', max_iters=4)
    train_toy_runner(tmp_path / 'run', max_iters=2)
    first = tmp_path / 'run' / 'iter_1.pth'
    first_written = first.stat().st_mtime_ns
    resumed = train_toy_runner(tmp_path / 'run', max_iters=4, resume=True)
    assert resumed.iter == 4
    assert first.stat().st_mtime_ns == first_written  # iteration 1 did not run again
    # Iterations 3 and 4 ran on top of the saved state: same weights as 4 in one go.
    assert torch.equal(resumed.model.linear.weight, straight.model.linear.weight)


def test_code_running_pickle_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {}, 'payload': RunsCode(marker)}, path)
    with pytest.raises(UnsafeCheckpointError, match='refused to load checkpoint .*evil.pth'):
        CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert not marker.exists()


def test_getattr_checkpoint_needs_the_trust_switch(tmp_path, monkeypatch):
    # What an upstream mmengine checkpoint contains: a bound method pickled via getattr.
    path = str(tmp_path / 'upstream.pth')
    torch.save({'stats': {'max': HistoryBuffer.max}}, path)
    with pytest.raises(UnsafeCheckpointError, match=TRUST_ENV):
        load_checkpoint_file(path)
    monkeypatch.setenv(TRUST_ENV, '1')
    assert load_checkpoint_file(path)['stats']['max'] is HistoryBuffer.max


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothing.pth'):
        load_checkpoint_file(str(tmp_path / 'nothing.pth'))


def test_unsafe_refusal_names_the_global(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save({'payload': RunsCode(tmp_path / 'pwned')}, path)
    with pytest.raises(UnsafeCheckpointError, match=r'evil.pth: it holds (os|posix)\.system'):
        load_checkpoint_file(path)
    # The legacy (non-zip) format is named from torch's message.
    legacy = str(tmp_path / 'evil_legacy.pth')
    torch.save({'payload': RunsCode(tmp_path / 'pwned')}, legacy,
               _use_new_zipfile_serialization=False)
    with pytest.raises(UnsafeCheckpointError, match=r'evil_legacy.pth: it holds posix\.system'):
        load_checkpoint_file(legacy)
    assert not (tmp_path / 'pwned').exists()


def test_unsupported_container_is_named(tmp_path):
    path = str(tmp_path / 'defaults.pth')
    torch.save({'d': collections.defaultdict(list, a=[1])}, path)
    with pytest.raises(UnsafeCheckpointError,
                       match=r'defaults.pth: it holds .*collections.defaultdict'):
        load_checkpoint_file(path)
    torch.save({'q': collections.deque([1, 2])}, path)  # allowed global, unsupported filling
    with pytest.raises(UnsafeCheckpointError, match=r"defaults.pth: it holds a construct .*"
                       r"collections.deque"):
        with torch.serialization.safe_globals([collections.deque]):
            load_checkpoint_file(path)


def test_plain_torch_save_of_containers_loads(tmp_path):
    plain = {
        'state_dict': collections.OrderedDict(w=torch.ones(2, 3)),
        'shape': torch.Size([2, 3]), 'dtype': torch.float16, 'device': torch.device('cpu'),
        'list': [1, 2.5, 'a', None, True, b'raw'], 'tuple': (1, (2, 3)), 'set': {1, 2},
        'frozen': frozenset({'x'}), 'slice': slice(1, 5, 2), 'range': range(3),
        'counts': collections.Counter('aab'), 'complex': 1 + 2j,
        'args': argparse.Namespace(lr=0.1, work_dir=pathlib.PosixPath('/tmp/run')),
        'numpy': np.arange(3), 'scalar': np.float64(0.5),
    }
    path = str(tmp_path / 'resaved.pth')
    torch.save(plain, path)
    loaded = load_checkpoint_file(path)
    assert torch.equal(loaded['state_dict']['w'], torch.ones(2, 3))
    assert loaded['frozen'] == frozenset({'x'}) and loaded['range'] == range(3)
    assert loaded['counts'] == collections.Counter('aab')
    assert loaded['args'].work_dir == pathlib.PosixPath('/tmp/run')
    assert loaded['slice'] == slice(1, 5, 2) and loaded['shape'] == torch.Size([2, 3])


def _cut(path, size):
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:size])
    return len(data)


@pytest.mark.parametrize('keep', [0, 100, 0.5, -10])
def test_truncated_checkpoint_is_named(tmp_path, keep):
    path = str(tmp_path / 'cut.pth')
    torch.save({'state_dict': {'w': torch.randn(1000)}}, path)
    size = os.path.getsize(path)
    _cut(path, int(size * keep) if isinstance(keep, float) else keep % size)
    with pytest.raises(CorruptCheckpointError, match=r'cut.pth is truncated or corrupt'):
        load_checkpoint_file(path)


def test_damaged_legacy_and_foreign_files_are_named(tmp_path):
    legacy = str(tmp_path / 'legacy.pth')
    torch.save({'w': torch.randn(100)}, legacy, _use_new_zipfile_serialization=False)
    size = os.path.getsize(legacy)
    for keep in (30, 60, size // 2, size - 100):  # in each of its pickles and the storages
        torch.save({'w': torch.randn(100)}, legacy, _use_new_zipfile_serialization=False)
        _cut(legacy, keep)
        with pytest.raises(CorruptCheckpointError, match='legacy.pth is truncated or corrupt'):
            load_checkpoint_file(legacy)
    for name, data in [('garbage.pth', bytes(range(256)) * 20), ('text.pth', b'hello\n' * 9)]:
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(CorruptCheckpointError, match=f'{name} is truncated or corrupt'):
            load_checkpoint_file(str(path))


def test_truncated_load_from_and_resume_are_named(tmp_path):
    train_toy_runner(tmp_path / 'run', max_iters=2)
    cut = str(tmp_path / 'run' / 'iter_2.pth')
    _cut(cut, os.path.getsize(cut) // 2)
    for options in (dict(load_from=cut), dict(load_from=cut, resume=True)):
        with pytest.raises(CorruptCheckpointError, match='iter_2.pth is truncated or corrupt'):
            train_toy_runner(tmp_path / 'again', max_iters=3, **options)


def test_failed_save_leaves_no_partial_checkpoint(tmp_path, monkeypatch):
    work_dir = tmp_path / 'run'
    train_toy_runner(work_dir, max_iters=1, max_keep_ckpts=1)
    last = (work_dir / 'last_checkpoint').read_text()
    assert last.endswith('iter_1.pth')

    class HalfWriter(io.FileIO):
        """A disk that fills up half-way through the checkpoint."""

        def write(self, data):
            super().write(bytes(data)[:len(data) // 2])
            raise OSError(28, 'No space left on device')

    def failing_open(path, mode='r', encoding=None):
        if '.pth' in os.path.basename(path):
            return HalfWriter(path, mode)
        return open(path, mode, encoding=encoding)

    monkeypatch.setattr(output_files, 'open', failing_open, raising=False)
    with pytest.raises(OSError, match='No space left'):
        train_toy_runner(work_dir, max_iters=2, max_keep_ckpts=1, resume=True)
    monkeypatch.undo()
    assert not (work_dir / 'iter_2.pth').exists()
    assert not list(work_dir.glob('*.tmp-*'))
    assert (work_dir / 'last_checkpoint').read_text() == last
    # max_keep_ckpts=1 did not remove iteration 1 before iteration 2 was saved.
    assert load_checkpoint_file(last)['meta']['iter'] == 1
    # A successful save then keeps only the newest.
    train_toy_runner(work_dir, max_iters=2, max_keep_ckpts=1, resume=True)
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['iter_2.pth']


KILLED_SAVE = '''
import os, sys
sys.path.insert(0, {tests!r})
import mars.utils.output_files as out
from test_safe_checkpoint import train_toy_runner
real_fsync = os.fsync
def killed(fd):  # the process dies with the bytes of iter_2.pth written, before the rename
    if os.path.basename(os.readlink(f'/proc/self/fd/{{fd}}')).startswith('iter_2.pth.tmp-'):
        os._exit(9)
    real_fsync(fd)
out.os.fsync = killed
train_toy_runner({work_dir!r}, max_iters=2, resume=True)
'''


def test_killed_save_keeps_last_checkpoint_and_next_run_cleans_up(tmp_path):
    work_dir = tmp_path / 'run'
    train_toy_runner(work_dir, max_iters=1)
    last = (work_dir / 'last_checkpoint').read_text()
    script = KILLED_SAVE.format(tests=os.path.dirname(__file__), work_dir=str(work_dir))
    result = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True)
    assert result.returncode == 9, result.stderr[-3000:]
    assert not (work_dir / 'iter_2.pth').exists()
    assert len(list(work_dir.glob('iter_2.pth.tmp-*'))) == 1  # what the kill left
    assert (work_dir / 'last_checkpoint').read_text() == last
    # The next run resumes from iteration 1 and its save of iter_2.pth removes the leftover.
    resumed = train_toy_runner(work_dir, max_iters=2, resume=True)
    assert resumed.iter == 2
    assert not list(work_dir.glob('*.tmp-*'))
    assert load_checkpoint_file(str(work_dir / 'iter_2.pth'))['meta']['iter'] == 2


@METRICS.register_module(force=True)
class RisingScore(BaseMetric):
    """A score that improves at every validation: each one saves a new best checkpoint."""
    calls = 0

    def process(self, data_batch, data_samples):
        self.results.append(0)

    def compute_metrics(self, results):
        RisingScore.calls += 1
        return dict(score=float(RisingScore.calls))


def train_with_best(work_dir, max_iters, **kwargs):
    torch.manual_seed(0)
    dataset = [dict(inputs=torch.randn(2)) for _ in range(4)]
    loader = dict(dataset=dataset, batch_size=2, collate_fn=dict(type='default_collate'),
                  sampler=dict(type='DefaultSampler', shuffle=False))
    Runner(
        model=ToyModel(), work_dir=str(work_dir), train_dataloader=loader,
        val_dataloader=loader, val_cfg=dict(), val_evaluator=dict(type='RisingScore'),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters, val_interval=1),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=1,
                                           save_best='score', rule='greater')),
        default_scope='mmengine', **kwargs).train()


def test_failed_best_save_keeps_the_previous_best(tmp_path, monkeypatch):
    work_dir = tmp_path / 'run'
    train_with_best(work_dir, max_iters=1)
    assert (work_dir / 'best_score_iter_1.pth').is_file()

    def failing_open(path, mode='r', encoding=None):
        if os.path.basename(path).startswith('best_'):
            raise OSError(28, 'No space left on device')
        return open(path, mode, encoding=encoding)

    monkeypatch.setattr(output_files, 'open', failing_open, raising=False)
    with pytest.raises(OSError, match='No space left'):
        train_with_best(work_dir, max_iters=2, resume=True)
    monkeypatch.undo()
    assert not (work_dir / 'best_score_iter_2.pth').exists()
    assert load_checkpoint_file(str(work_dir / 'best_score_iter_1.pth'))['meta']['iter'] == 1
    # The next successful best save replaces it (iter_2.pth was saved: resumed from 2).
    train_with_best(work_dir, max_iters=3, resume=True)
    assert sorted(p.name for p in work_dir.glob('best_*.pth')) == ['best_score_iter_3.pth']
