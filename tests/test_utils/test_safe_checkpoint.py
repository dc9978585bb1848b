import os

import pytest
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.runner.checkpoint import CheckpointLoader

from mars.utils.safe_checkpoint import TRUST_ENV, UnsafeCheckpointError, load_checkpoint_file


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.linear(inputs)
        return dict(loss=out.pow(2).mean()) if mode == 'loss' else out


def train_toy_runner(work_dir, max_iters=2, **kwargs):
    torch.manual_seed(0)  # same data and initial weights in every call
    runner = Runner(
        model=ToyModel(), work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=[dict(inputs=torch.randn(2)) for _ in range(8)], batch_size=2,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=1)),
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
