"""Compare a checkpoint's weights with a model before loading them: one place for every path.

``tools/test.py``, ``tools/infer.py`` and :func:`mars.apis.init_model` load strictly: any
missing, unexpected or shape-mismatched key is refused, naming the first few and the file,
unless partial loading is allowed (``--allow-partial-checkpoint`` /
``allow_partial_checkpoint=True``). ``load_from`` (fine-tuning) and resuming load
non-strictly and log a WARNING summary. A checkpoint that shares no weight with the model
is refused everywhere: it is the wrong file.
"""
import logging
import re
from collections import OrderedDict
from collections.abc import Mapping

from mmengine.logging import print_log
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.runner.checkpoint import CheckpointLoader

# How many key names a message lists per kind.
SHOWN_KEYS = 5
ALLOW_PARTIAL_FLAG = '--allow-partial-checkpoint'


class CheckpointMismatchError(RuntimeError):
    """The checkpoint's weights do not fit the model."""


def add_allow_partial_arg(parser):
    """``--allow-partial-checkpoint`` for the tools that load a checkpoint for testing."""
    parser.add_argument(
        ALLOW_PARTIAL_FLAG, action='store_true',
        help='load a checkpoint whose weights do not all fit the model (missing, unexpected '
        'or shape-mismatched keys are skipped with a warning) instead of refusing it')


def unwrap_model(model):
    """The model whose ``state_dict`` a checkpoint holds (DDP and TTA wrappers removed)."""
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    return model


def checkpoint_state_dict(checkpoint, revise_keys=((r'^module\.', ''), )):
    """The ``state_dict`` of a loaded checkpoint, keys revised (``module.`` prefix off)."""
    state_dict = checkpoint.get('state_dict', checkpoint)
    metadata = getattr(state_dict, '_metadata', None)
    for pattern, replacement in revise_keys:
        state_dict = OrderedDict((re.sub(pattern, replacement, k), v)
                                 for k, v in state_dict.items())
    if metadata is not None:
        state_dict._metadata = metadata
    return state_dict


def _shape(value):
    return tuple(value.shape) if hasattr(value, 'shape') else None


def _names(keys):
    shown = ', '.join(keys[:SHOWN_KEYS])
    return shown + (f' ... (+{len(keys) - SHOWN_KEYS} more)' if len(keys) > SHOWN_KEYS
                    else '')


def compare_state_dict(model, state_dict):
    """Sort the keys of ``state_dict`` against ``model``'s.

    Returns:
        dict: ``loaded`` (same name and shape), ``missing`` (the model's, not in the
        checkpoint; BatchNorm ``num_batches_tracked`` counters excepted), ``unexpected``
        (the checkpoint's, not in the model) and ``mismatched`` (``(key, checkpoint shape,
        model shape)``), each sorted.
    """
    own = model.state_dict()
    mismatched = [(k, _shape(v), _shape(own[k])) for k, v in state_dict.items()
                  if k in own and _shape(v) != _shape(own[k])]
    bad_shape = {k for k, _, _ in mismatched}
    return dict(
        loaded=sorted(k for k in state_dict if k in own and k not in bad_shape),
        missing=sorted(k for k in own
                       if k not in state_dict and not k.endswith('num_batches_tracked')),
        unexpected=sorted(k for k in state_dict if k not in own),
        mismatched=sorted(mismatched))


def describe(report):
    """Counts and first names of each kind of mismatch, one line each."""
    lines = [f'{len(report["loaded"])} loaded, {len(report["missing"])} missing, '
             f'{len(report["unexpected"])} unexpected, {len(report["mismatched"])} '
             'shape-mismatched']
    if report['missing']:
        lines.append(f'missing in the checkpoint: {_names(report["missing"])}')
    if report['unexpected']:
        lines.append(f'unexpected (not in the model): {_names(report["unexpected"])}')
    if report['mismatched']:
        lines.append('shape-mismatched: ' + _names(
            [f'{k} (checkpoint {list(c)}, model {list(m)})'
             for k, c, m in report['mismatched']]))
    return '\n  '.join(lines)


def fits(report):
    """Whether every key of the model and of the checkpoint matched."""
    return not (report['missing'] or report['unexpected'] or report['mismatched'])


def load_checked(model, checkpoint, filename, strict=True,
                 revise_keys=((r'^module\.', ''), )):
    """Load ``checkpoint`` (a loaded dict) into ``model`` after comparing their keys.

    Args:
        model (nn.Module): The model, possibly wrapped (DDP, TTA).
        checkpoint (dict): The loaded checkpoint (``state_dict`` inside or at top level).
        filename (str): The checkpoint file, for the messages.
        strict (bool): Refuse any missing, unexpected or shape-mismatched key. Otherwise
            load the weights that fit and log a WARNING summary of the rest.
        revise_keys (sequence): ``(pattern, replacement)`` applied to the keys first.

    Raises:
        CheckpointMismatchError: no key is shared with the model (always), or any key
            does not fit and ``strict``.
    """
    model = unwrap_model(model)
    if not isinstance(checkpoint, Mapping) or not isinstance(
            checkpoint.get('state_dict', checkpoint), Mapping):
        raise CheckpointMismatchError(
            f'checkpoint {filename} holds a {type(checkpoint).__name__}, not a state dict '
            "(a dict of tensors, or a dict with one under 'state_dict')")
    # A model may read foreign layouts of its own weights (MaRSPretrainModel: the authors').
    if hasattr(model, 'adapt_checkpoint'):
        checkpoint = model.adapt_checkpoint(checkpoint, filename)
    state_dict = checkpoint_state_dict(checkpoint, revise_keys)
    report = compare_state_dict(model, state_dict)
    summary = describe(report)
    if not report['loaded']:
        raise CheckpointMismatchError(
            f'checkpoint {filename} shares no weight with the model '
            f'{type(model).__name__}: it is a checkpoint of another model or of another '
            f'key layout.\n  {summary}')
    if strict and not fits(report):
        raise CheckpointMismatchError(
            f'checkpoint {filename} does not fit the model {type(model).__name__}:\n  '
            f'{summary}\nTesting with it would report numbers of partly random weights. '
            f'Pass {ALLOW_PARTIAL_FLAG} (tools) or allow_partial_checkpoint=True '
            f'(mars.apis.init_model) to load the weights that fit anyway.')
    bad_shape = {k for k, _, _ in report['mismatched']}
    fitting = OrderedDict((k, v) for k, v in state_dict.items() if k not in bad_shape)
    if hasattr(state_dict, '_metadata'):
        fitting._metadata = state_dict._metadata
    # Keys are checked above; strict=False only spares BatchNorm's num_batches_tracked.
    model.load_state_dict(fitting, strict=False)
    if not fits(report):
        print_log(f'checkpoint {filename} loaded partially:\n  {summary}',
                  logger='current', level=logging.WARNING)
    return report


def _runner_load_checkpoint(self, filename, map_location='cpu', strict=False,
                            revise_keys=((r'^module\.', ''), )):
    """``Runner.load_checkpoint`` with :func:`load_checked` (strict when asked for, or
    when the runner's ``strict_checkpoint`` attribute is set, as tools/test.py does)."""
    checkpoint = CheckpointLoader.load_checkpoint(filename, map_location=map_location)
    self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
    load_checked(self.model, checkpoint, filename,
                 strict=strict or getattr(self, 'strict_checkpoint', False),
                 revise_keys=revise_keys)
    self._has_loaded = True
    self.logger.info(f'Load checkpoint from {filename}')
    return checkpoint


def install_runner_check():
    """Make mmengine's ``Runner.load_checkpoint`` (load_from, resume, test) checked."""
    from mmengine.runner import Runner
    Runner.load_checkpoint = _runner_load_checkpoint
