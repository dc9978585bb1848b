"""What tools/train.py and tools/test.py share: common flags and config loading."""
import os
import os.path as osp

import torch.distributed as torch_dist
from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS, init_default_scope
from mmengine.runner import Runner

from .dist_env import is_cpu_distributed, setup_cpu_distributed

# mmseg / mmdet for downstream tasks; mars for pretraining (mars/registry.py).
SCOPES = ('mmseg', 'mmdet', 'mars')


def add_common_args(parser):
    """``--work-dir``, ``--cfg-options``, ``--launcher`` and ``--local-rank``."""
    parser.add_argument('--work-dir', help='the dir to save logs, checkpoints and metrics')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as key=value pairs merged into it; lists '
        'as key="[a,b]" or key=a,b, nested as key="[(a,b),(c,d)]" (quotes needed, no '
        'spaces)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank (torch >= 2.0) or --local_rank (older).
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def config_scope(cfg):
    """The registry scope the config follows: mmseg, mmdet or mars (pretraining)."""
    scope = cfg.get('default_scope', 'mmseg')
    if scope not in SCOPES:
        raise ValueError(f'{cfg.filename}: default_scope must be one of {SCOPES}, '
                         f'got {scope!r}')
    return scope


def load_tool_config(args):
    """Read ``args.config`` with the common flags applied; returns ``(cfg, scope)``.

    The work dir is ``--work-dir``, else the config's ``work_dir``, else
    ``./work_dirs/<config name>``, as in mmseg / mmdet.
    """
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    scope = config_scope(cfg)
    init_default_scope(scope)
    if scope == 'mmdet':
        from mmdet.utils import setup_cache_size_limit_of_dynamo

        # Fewer recompilations with torch.compile on many image shapes (as mmdet's tool).
        setup_cache_size_limit_of_dynamo()
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    return cfg, scope


def build_runner(cfg, strict_checkpoint=False):
    """The Runner (or the config's ``runner_type``), CPU multi-process set up if needed.

    ``strict_checkpoint``: the checkpoint the runner loads (``load_from``) must fit the
    model exactly (:mod:`mars.utils.checkpoint_check`).
    """
    if is_cpu_distributed(cfg.launcher):
        setup_cpu_distributed(cfg)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    if strict_checkpoint:
        if not isinstance(runner, Runner):
            raise ValueError(
                f'{cfg.filename}: runner_type {cfg.runner_type!r} loads checkpoints its own '
                'way, so their keys cannot be checked; pass --allow-partial-checkpoint')
        runner.strict_checkpoint = True
    return runner


def run_runner(cfg, mode, strict_checkpoint=False):
    """Build the Runner and run ``mode`` (``'train'`` or ``'test'``).

    A CPU process group opened by :func:`build_runner` is closed afterwards: left open at
    interpreter exit, gloo's threads can abort the process ("terminate called without an
    active exception") after the work is done.
    """
    result = getattr(build_runner(cfg, strict_checkpoint), mode)()
    if is_cpu_distributed(cfg.launcher) and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()
    return result
