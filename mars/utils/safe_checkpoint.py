"""Local checkpoint loading that works on torch >= 2.6 without running pickled code.

torch >= 2.6 defaults ``torch.load`` to ``weights_only=True`` and mmengine 0.10.7 calls it
without arguments, so its Runner checkpoints (``load_from``, ``resume``) and ``init_cfg``
Pretrained no longer load. :func:`install` replaces mmengine's local-file loader with one
that keeps ``weights_only=True`` and allow-lists only the plain data types an mmengine
checkpoint holds. A pickle that asks for anything else (``os.system``, ``getattr``...) is
refused, unless the user sets ``MARS_TRUST_CHECKPOINTS=1`` for files they trust.
"""
import os
import os.path as osp

import numpy as np
import torch
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner.checkpoint import CheckpointLoader

TRUST_ENV = 'MARS_TRUST_CHECKPOINTS'


def _numpy_globals():
    # numpy moved its pickling helpers to numpy._core in 2.0; support both layouts.
    try:
        from numpy._core import multiarray
    except ImportError:
        from numpy.core import multiarray
    dtype_classes = [cls for cls in vars(np.dtypes).values()
                     if isinstance(cls, type) and issubclass(cls, np.dtype)]
    return [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype,
            *dtype_classes]


def safe_globals():
    """The types a checkpoint written by mmengine 0.10.7 + mars may contain.

    Deliberately absent: ``builtins.getattr`` (reaches any attribute of anything), which
    upstream mmengine needs for ``HistoryBuffer.statistics_methods``; see
    :func:`_history_buffer_getstate` for how mars checkpoints avoid it.
    """
    import codecs
    return [HistoryBuffer, codecs.encode, *_numpy_globals()]


class UnsafeCheckpointError(RuntimeError):
    """Raised for a checkpoint that needs types outside the allow-list."""


def load_checkpoint_file(filename, map_location=None):
    """Load a local checkpoint with ``weights_only=True`` and the mars allow-list.

    Args:
        filename (str): Path to a ``.pth`` file.
        map_location (str | torch.device, optional): As in :func:`torch.load`.

    Raises:
        FileNotFoundError: ``filename`` does not exist.
        UnsafeCheckpointError: the pickle needs a type outside the allow-list and
            ``MARS_TRUST_CHECKPOINTS`` is not set.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file {filename} does not exist')
    if os.environ.get(TRUST_ENV) == '1':
        print_log(f'{TRUST_ENV}=1: loading {filename} with weights_only=False; '
                  'the file can run arbitrary code', logger='current', level=30)
        return torch.load(filename, map_location=map_location, weights_only=False)
    try:
        with torch.serialization.safe_globals(safe_globals()):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except torch.serialization.pickle.UnpicklingError as err:
        raise UnsafeCheckpointError(
            f'refused to load checkpoint {filename}: it holds objects outside the allow-list '
            f'of plain tensor / numpy / mmengine log types, so unpickling it could run code.\n'
            f'torch said: {str(err).splitlines()[0]}\n'
            f'If you trust this file, set {TRUST_ENV}=1 to load it without the check.') from err


def _history_buffer_getstate(self):
    # Upstream pickles the class-level statistics table, whose bound methods serialise as
    # getattr(HistoryBuffer, 'min'). __setstate__ re-registers the defaults, so leave it out.
    state = dict(self.__dict__)
    state.pop('statistics_methods', None)
    return state


def install():
    """Route mmengine's local checkpoint loading through :func:`load_checkpoint_file`."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_checkpoint_file, force=True)
    HistoryBuffer.__getstate__ = _history_buffer_getstate
