"""Multi-process training and testing on machines without a GPU.

mmengine 0.10.7 assumes that every distributed run has a GPU per process:

* its ``pytorch`` / ``slurm`` / ``mpi`` launchers call ``torch.cuda.set_device(local_rank)``
  before ``init_process_group``, which fails with "Found no NVIDIA driver" on a CPU machine;
* ``Runner.wrap_model`` builds DDP with ``device_ids=[LOCAL_RANK]``, which DDP refuses for a
  CPU module (``device_ids`` must be None there);
* ``SyncBatchNorm`` raises in training for CPU tensors, and the Runner keeps SyncBN layers
  whenever the run is distributed.

:func:`setup_cpu_distributed`, called by ``tools/train.py`` and ``tools/test.py`` when a
launcher is given and no accelerator is present, works around the three without patching
mmengine: it initialises the process group itself with ``gloo`` (the Runner then skips its
own initialisation, see ``Runner.setup_env``) and points ``model_wrapper_cfg`` to
:class:`MMCPUDistributedDataParallel`, which builds DDP without ``device_ids`` for CPU modules
and turns their SyncBN layers back into BN. Runs with a GPU are left exactly as mmengine
makes them (the tools do not call this module there).
"""
import datetime
import logging
import os
import subprocess

import torch
import torch.distributed as torch_dist
from mmengine.device import get_device
from mmengine.dist import is_distributed
from mmengine.logging import print_log
from mmengine.model import MMDistributedDataParallel, revert_sync_batchnorm
from mmengine.registry import MODEL_WRAPPERS
from torch.nn.parallel import DistributedDataParallel

CPU_BACKEND = 'gloo'
# Backends that can move CPU tensors; anything else (nccl, hccl...) is replaced by gloo.
CPU_CAPABLE_BACKENDS = ('gloo', 'mpi')
DEFAULT_MASTER_PORT = '29500'  # torch.distributed's default


def _log(msg, level=logging.INFO):
    print_log(msg, logger='current', level=level)


def _has_sync_bn(module):
    return any(isinstance(m, torch.nn.SyncBatchNorm) or 'SyncBatchNorm' in type(m).__name__
               for m in module.modules())


@MODEL_WRAPPERS.register_module()
class MMCPUDistributedDataParallel(MMDistributedDataParallel):
    """:class:`MMDistributedDataParallel` that also accepts modules on the CPU.

    For a CPU module it drops the ``device_ids`` that ``Runner.wrap_model`` always passes
    (DDP needs ``None`` there) and reverts SyncBN layers (torch's and mmcv's) to BN, because
    torch's SyncBatchNorm only runs on GPUs: each process then normalises over its own
    batch, as in non-distributed training, and a warning says so. A module on an
    accelerator is wrapped exactly as :class:`MMDistributedDataParallel` does, so a config
    dumped from a CPU run still trains on GPUs.

    Args:
        module (nn.Module): Model to wrap.
        device_ids (list[int], optional): Devices, as for DDP; ignored for CPU modules.
        **kwargs: Passed to :class:`MMDistributedDataParallel` (``broadcast_buffers``,
            ``find_unused_parameters``...).
    """

    def __init__(self, module, device_ids=None, **kwargs):
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        if on_cpu:
            device_ids = None
            if _has_sync_bn(module):
                _log('SyncBN cannot run on CPU tensors: reverting SyncBN layers to BN, so '
                     'batch statistics are per process, not synchronised', logging.WARNING)
                module = revert_sync_batchnorm(module)
        super().__init__(module=module, device_ids=device_ids, **kwargs)
        if on_cpu:
            _log(f'{type(self).__name__}: CPU data parallel over world size '
                 f'{torch_dist.get_world_size()} (backend {torch_dist.get_backend()}), '
                 f'device_ids=None')


def is_cpu_distributed(launcher):
    """Whether ``launcher`` starts a multi-process run on a machine without accelerator.

    Args:
        launcher (str): ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
    """
    return launcher != 'none' and get_device() == 'cpu'


def _dist_env_slurm(port=None):
    """Translate SLURM's variables into the ``env://`` ones torch reads (no GPU needed)."""
    node_list = os.environ['SLURM_NODELIST']
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['RANK'] = os.environ['SLURM_PROCID']
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')
    if port is not None:
        os.environ['MASTER_PORT'] = str(port)
    os.environ.setdefault('MASTER_PORT', DEFAULT_MASTER_PORT)
    if 'MASTER_ADDR' not in os.environ:
        os.environ['MASTER_ADDR'] = subprocess.getoutput(
            f'scontrol show hostname {node_list} | head -n1')


def _dist_env_mpi():
    """Translate Open MPI's variables into the ``env://`` ones torch reads."""
    if 'MASTER_ADDR' not in os.environ:
        raise KeyError('launcher "mpi" needs the environment variable MASTER_ADDR')
    os.environ.setdefault('MASTER_PORT', DEFAULT_MASTER_PORT)
    os.environ['WORLD_SIZE'] = os.environ['OMPI_COMM_WORLD_SIZE']
    os.environ['RANK'] = os.environ['OMPI_COMM_WORLD_RANK']
    os.environ['LOCAL_RANK'] = os.environ['OMPI_COMM_WORLD_LOCAL_RANK']


def init_cpu_dist(launcher, backend=CPU_BACKEND, port=None, timeout=None, **kwargs):
    """Initialise the default process group for CPU processes.

    Same environment handling as mmengine's ``init_dist``, without the
    ``torch.cuda.set_device`` call it makes for every launcher.

    Args:
        launcher (str): ``'pytorch'`` (torchrun), ``'slurm'`` or ``'mpi'``.
        backend (str): A backend that handles CPU tensors. Defaults to 'gloo'.
        port (int, optional): Master port for the slurm launcher. Defaults to None
            (``MASTER_PORT`` or 29500).
        timeout (int | float, optional): Collective timeout in seconds. Defaults to None.
        **kwargs: Passed to :func:`torch.distributed.init_process_group`.
    """
    if launcher == 'slurm':
        _dist_env_slurm(port)
    elif launcher == 'mpi':
        _dist_env_mpi()
    elif launcher != 'pytorch':
        raise ValueError(f'unknown launcher {launcher!r}; expected pytorch, slurm or mpi')
    if timeout is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=timeout)
    torch_dist.init_process_group(
        backend=backend,
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']),
        **kwargs)


def _cpu_dist_cfg(cfg):
    """``env_cfg.dist_cfg`` with a CPU-capable backend, logging any change."""
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg', {}))
    backend = dist_cfg.get('backend', 'nccl')
    if backend not in CPU_CAPABLE_BACKENDS:
        _log(f'no GPU found: distributed backend {backend!r} -> {CPU_BACKEND!r}')
        dist_cfg['backend'] = CPU_BACKEND
    init_backend = dist_cfg.pop('init_backend', 'torch')
    if init_backend != 'torch':
        raise ValueError(f'CPU multi-process runs support init_backend="torch" only, '
                         f'got {init_backend!r}')
    return dist_cfg


def _cpu_model_wrapper_cfg(cfg):
    """``model_wrapper_cfg`` that builds DDP without ``device_ids`` on the CPU."""
    wrapper_cfg = cfg.get('model_wrapper_cfg')
    if wrapper_cfg is None:
        # What Runner.wrap_model uses when the config names no wrapper.
        return dict(
            type='MMCPUDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper_cfg = dict(wrapper_cfg)
    wrapper_type = wrapper_cfg.get('type', 'MMDistributedDataParallel')
    if wrapper_type in ('MMDistributedDataParallel', MMDistributedDataParallel,
                        'MMCPUDistributedDataParallel', MMCPUDistributedDataParallel):
        wrapper_cfg['type'] = 'MMCPUDistributedDataParallel'
        return wrapper_cfg
    wrapper_cls = MODEL_WRAPPERS.get(wrapper_type) if isinstance(wrapper_type, str) \
        else wrapper_type
    if wrapper_cls is not None and issubclass(wrapper_cls, DistributedDataParallel):
        # An explicit key wins over the device_ids default the Runner adds.
        _log(f'model wrapper {wrapper_type} on CPU: setting device_ids=None; SyncBN layers, '
             'if any, are not reverted', logging.WARNING)
        wrapper_cfg['device_ids'] = None
    return wrapper_cfg


def setup_cpu_distributed(cfg):
    """Prepare ``cfg`` and the process group for a multi-process run without a GPU.

    Call it before building the Runner when :func:`is_cpu_distributed` holds. It

    1. switches ``env_cfg.dist_cfg.backend`` to ``gloo`` (``nccl`` needs GPUs),
    2. initialises the process group for ``cfg.launcher`` (the Runner then finds it
       initialised and does not call mmengine's GPU-only ``init_dist``),
    3. sets ``model_wrapper_cfg`` to :class:`MMCPUDistributedDataParallel` (registered by
       ``import mars``, so the dumped config runs as it is),
    4. drops ``cfg.sync_bn`` (conversion to SyncBN), which cannot run on CPU tensors.

    Every change is logged and kept in ``cfg``, so the dumped config shows what ran.

    Args:
        cfg (mmengine.Config): The full config; ``cfg.launcher`` must be set.

    Returns:
        mmengine.Config: ``cfg``, changed in place.
    """
    dist_cfg = _cpu_dist_cfg(cfg)
    cfg.setdefault('env_cfg', {})['dist_cfg'] = dist_cfg
    if not is_distributed():
        init_cpu_dist(cfg.launcher, **dist_cfg)
    cfg.model_wrapper_cfg = _cpu_model_wrapper_cfg(cfg)
    if cfg.get('sync_bn') is not None:
        _log(f'sync_bn={cfg.sync_bn!r} ignored: SyncBN cannot run on CPU tensors',
             logging.WARNING)
        cfg.sync_bn = None
    _log(f'CPU distributed run: rank {torch_dist.get_rank()} of '
         f'{torch_dist.get_world_size()}, backend {torch_dist.get_backend()}, model wrapper '
         f'{cfg.model_wrapper_cfg["type"]}')
    return cfg
