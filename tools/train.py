"""Train a MaRS-Bench model from an mmseg-scope or mmdet-scope config.

Usage (single process)::

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CHECKPOINT]] [--amp]
                                 [--cfg-options KEY=VALUE ...]

Multi-process runs go through ``tools/dist_train.sh`` (torchrun) or
``tools/slurm_train.sh``; they work on CPU-only machines too (gloo).
"""
import argparse
import logging

from mmengine.logging import print_log

# Registers the MaRS modules and installs the torch >= 2.6 checkpoint loader, before any
# checkpoint (load_from, resume, init_cfg) is read.
import mars  # noqa: F401
from mars.utils.tool_config import add_common_args, load_tool_config, run_runner


def parse_args():
    parser = argparse.ArgumentParser(description='Train a MaRS-Bench model')
    parser.add_argument('config', help='train config file path')
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
    add_common_args(parser)
    return parser.parse_args()


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


def main():
    args = parse_args()
    cfg, _ = load_tool_config(args)
    if args.amp:
        enable_amp(cfg)
    if args.auto_scale_lr:
        enable_auto_scale_lr(cfg)
    apply_resume(cfg, args.resume)
    run_runner(cfg, 'train')


if __name__ == '__main__':
    main()
