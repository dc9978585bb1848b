"""mars.utils.dist_env: CPU multi-process set-up (config changes, wrapper, env handling)."""
import os

import pytest
import torch
import torch.distributed as torch_dist
import torch.nn as nn
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.optim import OptimWrapper
from torch.nn.parallel import DistributedDataParallel

from mars.utils import dist_env
from mars.utils.dist_env import MMCPUDistributedDataParallel


class _TinyModel(BaseModel):
    """A conv + SyncBN model with mmengine's train_step contract."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.norm = nn.SyncBatchNorm(4)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.norm(self.conv(inputs))
        return dict(loss=out.mean()) if mode == 'loss' else out


@pytest.fixture
def single_process_group(tmp_path):
    """A world-size-1 gloo group, destroyed afterwards."""
    torch_dist.init_process_group(
        'gloo', init_method=f'file://{tmp_path / "store"}', rank=0, world_size=1)
    yield
    torch_dist.destroy_process_group()


def test_is_cpu_distributed():
    assert not dist_env.is_cpu_distributed('none')
    assert dist_env.is_cpu_distributed('pytorch') == (not torch.cuda.is_available())


def test_dist_cfg_switches_to_gloo_and_keeps_the_rest():
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl', timeout=60))))
    assert dist_env._cpu_dist_cfg(cfg) == dict(backend='gloo', timeout=60)
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(backend='mpi'))))
    assert dist_env._cpu_dist_cfg(cfg) == dict(backend='mpi')
    assert dist_env._cpu_dist_cfg(Config(dict())) == dict(backend='gloo')


def test_model_wrapper_cfg_default_mirrors_runner():
    cfg = Config(dict(find_unused_parameters=True))
    assert dist_env._cpu_model_wrapper_cfg(cfg) == dict(
        type='MMCPUDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=True)


def test_model_wrapper_cfg_keeps_user_options():
    cfg = Config(dict(model_wrapper_cfg=dict(
        type='MMDistributedDataParallel', find_unused_parameters=True)))
    assert dist_env._cpu_model_wrapper_cfg(cfg) == dict(
        type='MMCPUDistributedDataParallel', find_unused_parameters=True)
    # A config dumped from a CPU run keeps its wrapper.
    cfg = Config(dict(model_wrapper_cfg=dict(type='MMCPUDistributedDataParallel')))
    assert dist_env._cpu_model_wrapper_cfg(cfg) == dict(type='MMCPUDistributedDataParallel')
    # Another DDP subclass keeps its type; an explicit device_ids=None beats the Runner's
    # default [LOCAL_RANK].
    cfg = Config(dict(model_wrapper_cfg=dict(type='DistributedDataParallel')))
    assert dist_env._cpu_model_wrapper_cfg(cfg) == dict(
        type='DistributedDataParallel', device_ids=None)


def test_sync_bn_fails_on_cpu_in_a_process_group(single_process_group):
    # Why the wrapper reverts SyncBN: torch refuses CPU tensors once a group exists.
    with pytest.raises(ValueError, match='SyncBatchNorm expected input tensor to be on GPU'):
        _TinyModel().train()(torch.rand(2, 3, 8, 8))


def test_cpu_ddp_drops_device_ids_and_reverts_sync_bn(single_process_group):
    model = MMCPUDistributedDataParallel(
        module=_TinyModel(), device_ids=[0], broadcast_buffers=False)
    assert isinstance(model, DistributedDataParallel)
    assert model.device_ids is None
    assert not any(isinstance(m, nn.SyncBatchNorm) for m in model.modules())
    # SyncBN on a CPU tensor raises in training; the reverted model trains.
    data = dict(inputs=torch.rand(2, 3, 8, 8))
    optim_wrapper = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.1))
    assert 'loss' in model.train_step(data, optim_wrapper)


def test_setup_cpu_distributed_uses_existing_group(single_process_group):
    cfg = Config(dict(launcher='pytorch', sync_bn='torch',
                      env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    dist_env.setup_cpu_distributed(cfg)
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg.type == 'MMCPUDistributedDataParallel'
    assert cfg.sync_bn is None


def test_slurm_env_translation(monkeypatch):
    for key in ('WORLD_SIZE', 'RANK', 'LOCAL_RANK', 'MASTER_PORT'):
        # setenv first: monkeypatch restores (removes) only keys it has recorded, and the
        # translation below sets them; a leaked RANK=3 would turn later tools into rank 3.
        monkeypatch.setenv(key, '')
        monkeypatch.delenv(key)
    monkeypatch.setenv('SLURM_NODELIST', 'node[1-2]')
    monkeypatch.setenv('SLURM_NTASKS', '4')
    monkeypatch.setenv('SLURM_PROCID', '3')
    monkeypatch.setenv('SLURM_LOCALID', '1')
    monkeypatch.setenv('MASTER_ADDR', 'node1')  # else read from scontrol
    dist_env._dist_env_slurm(port=12345)
    assert [os.environ[k] for k in ('WORLD_SIZE', 'RANK', 'LOCAL_RANK', 'MASTER_PORT')] == [
        '4', '3', '1', '12345']


def test_mpi_env_needs_master_addr(monkeypatch):
    monkeypatch.delenv('MASTER_ADDR', raising=False)
    with pytest.raises(KeyError, match='MASTER_ADDR'):
        dist_env._dist_env_mpi()
