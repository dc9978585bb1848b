"""Train a MaRS-Bench model from an mmseg-scope or mmdet-scope config.

Usage (single process)::

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CHECKPOINT]] [--amp]
                                 [--cfg-options KEY=VALUE ...]

Multi-process runs go through ``tools/dist_train.sh`` (torchrun) or
``tools/slurm_train.sh``; they work on CPU-only machines too (gloo).
"""
import argparse
import logging
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.logging import print_log
from mmengine.registry import RUNNERS, init_default_scope
from mmengine.runner import Runner

# Registers the MaRS modules and installs the torch >= 2.6 checkpoint loader, before any
# checkpoint (load_from, resume, init_cfg) is read.
import mars  # noqa: F401
from mars.utils.dist_env import is_cpu_distributed, setup_cpu_distributed

SCOPES = ('mmseg', 'mmdet')


def parse_args():
    parser = argparse.ArgumentParser(description='Train a MaRS-Bench model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        default=None,
        metavar='CHECKPOINT',
        help='resume training: alone, from the latest checkpoint in the work dir; with a '
        'path, from that checkpoint (model, optimizer, scheduler and iteration counter)')
    parser.add_argument(
        '--amp', action='store_true', help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate with the real batch size (needs `auto_scale_lr` '
        'in the config)')
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
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def config_scope(cfg):
    """The downstream library whose semantics the config follows: mmseg or mmdet."""
    scope = cfg.get('default_scope', 'mmseg')
    if scope not in SCOPES:
        raise ValueError(f'{cfg.filename}: default_scope must be one of {SCOPES}, '
                         f'got {scope!r}')
    return scope


def resolve_work_dir(cfg, args):
    """``--work-dir``, else the config's ``work_dir``, else ``./work_dirs/<config name>``."""
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])


def enable_amp(cfg):
    """Switch a plain ``OptimWrapper`` to ``AmpOptimWrapper`` with dynamic loss scaling."""
    wrapper_type = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper_type == 'AmpOptimWrapper':
        print_log('AMP training is already enabled in the config.', logger='current',
                  level=logging.WARNING)
        return
    if wrapper_type != 'OptimWrapper':
        raise ValueError(f'--amp needs optim_wrapper.type="OptimWrapper", got '
                         f'{wrapper_type!r}; configure AMP in the config instead')
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.loss_scale = 'dynamic'


def enable_auto_scale_lr(cfg):
    auto_scale_lr = cfg.get('auto_scale_lr')
    if not auto_scale_lr or 'base_batch_size' not in auto_scale_lr:
        raise ValueError('--auto-scale-lr needs auto_scale_lr=dict(enable=..., '
                         'base_batch_size=...) in the config')
    cfg.auto_scale_lr.enable = True


def apply_resume(cfg, resume):
    """Map ``--resume`` onto the Runner's ``resume`` / ``load_from``.

    ``'auto'`` (the flag alone) resumes from the newest checkpoint of the work dir, which
    the Runner finds when ``load_from`` is None; a path resumes from that file. Without
    the flag the config's own ``resume`` / ``load_from`` apply.
    """
    if resume is None:
        return
    cfg.resume = True
    cfg.load_from = None if resume == 'auto' else resume


def build_runner(cfg):
    """The Runner, or the ``runner_type`` the config names, in the config's scope."""
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def main():
    args = parse_args()

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

    resolve_work_dir(cfg, args)
    if args.amp:
        enable_amp(cfg)
    if args.auto_scale_lr:
        enable_auto_scale_lr(cfg)
    apply_resume(cfg, args.resume)
    if is_cpu_distributed(args.launcher):
        setup_cpu_distributed(cfg)

    runner = build_runner(cfg)
    runner.train()


if __name__ == '__main__':
    main()
