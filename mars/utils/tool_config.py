"""What the tools share: common flags, config reading with checked overrides, the Runner."""
import ast
import copy
import difflib
import inspect
import os
import os.path as osp

import torch.distributed as torch_dist
from mmengine.config import Config, DictAction
from mmengine.hooks import CheckpointHook
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
        action=CfgOptionsAction,
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


class CfgOptionsAction(DictAction):
    """mmengine's ``--cfg-options`` parser, with a usage error for an item without ``=``."""

    def __call__(self, parser, namespace, values, option_string=None):
        for item in values:
            if '=' not in item:
                parser.error(f'{option_string} takes key=value pairs (e.g. '
                             f'train_dataloader.batch_size=4), got {item!r}')
        super().__call__(parser, namespace, values, option_string)


# Top-level keys that mmengine's Runner (and these tools) read besides the Runner.from_cfg
# arguments: a --cfg-options key outside these and the config's own keys is a typo.
EXTRA_RUNNER_KEYS = ('model_wrapper_cfg', 'sync_bn', 'find_unused_parameters',
                     'activation_checkpointing', 'efficient_conv_bn_eval', 'compile',
                     'runner_type', 'tta_model', 'tta_pipeline')


def known_top_level_keys(cfg):
    """Keys a ``--cfg-options`` override may set at the top level of ``cfg``."""
    runner_args = set(inspect.signature(Runner.__init__).parameters) - {'self', 'cfg'}
    return runner_args | set(EXTRA_RUNNER_KEYS) | set(cfg.keys())


class UnknownConfigKeyError(KeyError):
    """An override names a key that nothing reads."""

    def __str__(self):
        return str(self.args[0])


def check_override_keys(cfg, options):
    """Refuse overrides whose top-level key neither the Runner nor the config knows."""
    known = known_top_level_keys(cfg)
    for key in options:
        top = key.split('.')[0]
        if top not in known:
            close = difflib.get_close_matches(top, sorted(known), n=1)
            hint = f'; did you mean {close[0]!r}?' if close else ''
            raise UnknownConfigKeyError(f'--cfg-options {key}: {top!r} is not a key of '
                                        f'{cfg.filename} nor one the Runner reads{hint}')


def _base_files(filename, tree):
    """Local ``_base_`` files named in a parsed config (package bases are skipped)."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == '_base_' for t in node.targets):
            try:
                bases = ast.literal_eval(node.value)
            except ValueError:
                return []
            bases = [bases] if isinstance(bases, str) else list(bases)
            return [osp.join(osp.dirname(filename), base) for base in bases
                    if isinstance(base, str) and '::' not in base]
    return []


def _syntax_error_in(filename, seen=()):
    """``(file, SyntaxError)`` of the first config in ``filename``'s ``_base_`` tree that
    does not parse, else None. mmengine reports such errors as ``File "<unknown>"``."""
    if filename in seen or not (filename.endswith('.py') and osp.isfile(filename)):
        return None
    with open(filename, encoding='utf-8') as f:
        source = f.read()
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as error:
        return filename, error
    for base in _base_files(filename, tree):
        found = _syntax_error_in(osp.normpath(base), (*seen, filename))
        if found:
            return found
    return None


def read_config(config, cfg_options=None):
    """``Config.fromfile`` with named syntax errors and checked ``--cfg-options``.

    Args:
        config (str | Config): Config file, or a config object (copied).
        cfg_options (dict, optional): Overrides merged into the config.

    Raises:
        SyntaxError: a config file of the ``_base_`` tree has a syntax error; the message
            names the file and line.
        UnknownConfigKeyError: an override's top-level key is unknown (the message
            suggests the closest valid key).
    """
    if isinstance(config, Config):
        cfg = copy.deepcopy(config)
    else:
        found = _syntax_error_in(osp.abspath(osp.expanduser(config)))
        if found:
            path, error = found
            raise SyntaxError(f'config {path}, line {error.lineno}: {error.msg}\n'
                              f'    {(error.text or "").strip()}')
        cfg = Config.fromfile(config)
    if cfg_options:
        check_override_keys(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    return cfg


def load_tool_config(args):
    """Read ``args.config`` with the common flags applied; returns ``(cfg, scope)``.

    The work dir is ``--work-dir``, else the config's ``work_dir``, else
    ``./work_dirs/<config name>``, as in mmseg / mmdet.
    """
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = read_config(args.config, args.cfg_options)
    cfg.launcher = args.launcher
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
    check_checkpoint_hook_args(runner)
    return runner


def check_checkpoint_hook_args(runner):
    """Refuse unknown CheckpointHook arguments before training, not at the first save.

    CheckpointHook passes extra keyword arguments on to ``Runner.save_checkpoint``, so a
    typo such as ``intervall=1`` would otherwise fail only when the first checkpoint is due.
    """
    hook_args = set(inspect.signature(CheckpointHook.__init__).parameters)
    # CheckpointHook sets every Runner.save_checkpoint argument itself except these.
    passed_on = set(inspect.signature(runner.save_checkpoint).parameters) - {
        'out_dir', 'filename', 'file_client_args', 'save_optimizer',
        'save_param_scheduler', 'meta', 'by_epoch', 'backend_args'}
    for hook in runner.hooks:
        if not isinstance(hook, CheckpointHook):
            continue
        for name in sorted(set(hook.args) - passed_on):
            close = difflib.get_close_matches(name, sorted(hook_args - {'self', 'kwargs'}), n=1)
            hint = f'; did you mean {close[0]!r}?' if close else ''
            raise TypeError(f'default_hooks.checkpoint: {type(hook).__name__} has no '
                            f'argument {name!r}{hint}')


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
