"""Local checkpoint loading that works on torch >= 2.6 without running pickled code.

torch >= 2.6 defaults ``torch.load`` to ``weights_only=True`` and mmengine 0.10.7 calls it
without arguments, so its Runner checkpoints (``load_from``, ``resume``) and ``init_cfg``
Pretrained no longer load. :func:`install` replaces mmengine's local-file loader with one
that keeps ``weights_only=True`` and allow-lists only the plain data types an mmengine
checkpoint holds. A pickle that asks for anything else (``os.system``, ``getattr``...) is
refused, naming it, unless the user sets ``MARS_TRUST_CHECKPOINTS=1`` for files they
trust. A truncated or corrupt file is reported as such, naming it.

:func:`install` also makes mmengine's local file writes atomic (temporary name in the same
directory, flush + fsync, ``os.replace``): a run killed while saving ``iter_N.pth`` leaves the
previous checkpoints and ``last_checkpoint`` as they were, never a truncated file.
"""
import argparse
import collections
import datetime
import os
import os.path as osp
import pathlib
import pickle
import pickletools
import re
import struct
import types
import zipfile

import numpy as np
import torch
from mmengine.fileio.backends import LocalBackend
from mmengine.hooks import CheckpointHook
from mmengine.logging import HistoryBuffer, print_log
from mmengine.runner.checkpoint import CheckpointLoader

from .output_files import atomic_write

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
    return [HistoryBuffer, codecs.encode, *_numpy_globals(), *_plain_globals()]


def _plain_globals():
    """Containers and plain values a ``torch.save``-d dict may hold beyond torch's defaults.

    Rebuilding any of these runs no user code: builtin value types, attribute bags
    (``argparse.Namespace`` of saved training arguments), paths and dates.
    (``collections.defaultdict`` and ``deque`` stay out: torch's weights-only unpickler
    cannot fill them.)
    """
    return [frozenset, slice, range, collections.Counter,
            argparse.Namespace, types.SimpleNamespace, pathlib.PosixPath,
            pathlib.PurePosixPath, pathlib.PureWindowsPath, datetime.date,
            datetime.datetime, datetime.timedelta, datetime.timezone]


class UnsafeCheckpointError(RuntimeError):
    """Raised for a checkpoint that needs types outside the allow-list."""


class CorruptCheckpointError(RuntimeError):
    """Raised for a truncated or otherwise unreadable checkpoint file."""


def _corrupt(filename, why):
    return CorruptCheckpointError(
        f'checkpoint {filename} is truncated or corrupt ({why}); it was probably cut short '
        'by a kill while it was saved or by an incomplete copy / download. Use another '
        'checkpoint or copy the file again.')


def _check_container(filename):
    """Refuse an empty file and a zip-format ``.pth`` without its central directory.

    torch writes the zip directory last, so any truncation of a zip checkpoint removes
    it; torch itself would fail with "PytorchStreamReader failed reading zip archive".
    """
    if osp.getsize(filename) == 0:
        raise _corrupt(filename, 'the file is empty')
    with open(filename, 'rb') as f:
        is_zip = f.read(4) == b'PK\x03\x04'
    if is_zip:
        try:
            with zipfile.ZipFile(filename) as archive:
                archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as err:
            raise _corrupt(filename, f'incomplete zip archive: {err}') from err
    return is_zip


def _unsafe_globals(filename, is_zip, err):
    """The globals outside the allow-list that made ``torch.load`` refuse ``filename``."""
    names = []
    if is_zip:
        try:
            names = torch.serialization.get_unsafe_globals_in_checkpoint(filename)
        except Exception:  # noqa: BLE001  (a damaged pickle: fall back to torch's message)
            names = []
    if not names:
        names = re.findall(r'GLOBAL ([\w.]+)', str(err))
    return sorted(set(names))


def _pickle_is_whole(filename, is_zip):
    """Whether the checkpoint's pickles parse to their ends (so a refusal is about content).

    Zip format: the ``data.pkl`` member. Legacy format: the five pickles before the raw
    storages (torch's magic number, protocol, system info, the object, storage keys).
    """
    try:
        if is_zip:
            with zipfile.ZipFile(filename) as archive:
                name = next(n for n in archive.namelist() if n.endswith('data.pkl'))
                for _ in pickletools.genops(archive.read(name)):
                    pass
            return True
        with open(filename, 'rb') as f:
            magic = [arg for _, arg, _ in pickletools.genops(f)]
            for _ in range(4):
                for _ in pickletools.genops(f):
                    pass
        return torch.serialization.MAGIC_NUMBER in magic
    except Exception:  # noqa: BLE001  (any parse failure means a damaged pickle)
        return False


# What torch.load raises for a damaged legacy (non-zip) file or pickle stream.
_DAMAGE_ERRORS = (EOFError, KeyError, ValueError, IndexError, struct.error,
                  zipfile.BadZipFile)
_DAMAGE_MESSAGE = re.compile(r'EOF|corrupt|PytorchStreamReader|zip archive|Invalid argument|'
                             r'unpickl|load key|magic number', re.IGNORECASE)


def _torch_load(filename, map_location, weights_only):
    """``torch.load`` that reports damage to the file by name."""
    try:
        return torch.load(filename, map_location=map_location, weights_only=weights_only)
    except pickle.UnpicklingError:
        raise  # weights-only refusals are sorted out by the caller
    except _DAMAGE_ERRORS as err:
        raise _corrupt(filename, f'{type(err).__name__}: {err}') from err
    except (RuntimeError, OSError) as err:
        if isinstance(err, (FileNotFoundError, PermissionError)) or not _DAMAGE_MESSAGE.search(
                str(err)):
            raise
        raise _corrupt(filename, str(err).splitlines()[0]) from err


def load_checkpoint_file(filename, map_location=None):
    """Load a local checkpoint with ``weights_only=True`` and the mars allow-list.

    Args:
        filename (str): Path to a ``.pth`` file.
        map_location (str | torch.device, optional): As in :func:`torch.load`.

    Raises:
        FileNotFoundError: ``filename`` does not exist.
        CorruptCheckpointError: the file is empty, truncated or otherwise unreadable.
        UnsafeCheckpointError: the pickle needs a type outside the allow-list and
            ``MARS_TRUST_CHECKPOINTS`` is not set; the message names those types.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file {filename} does not exist')
    is_zip = _check_container(filename)
    if os.environ.get(TRUST_ENV) == '1':
        print_log(f'{TRUST_ENV}=1: loading {filename} with weights_only=False; '
                  'the file can run arbitrary code', logger='current', level=30)
        try:
            return _torch_load(filename, map_location, weights_only=False)
        except pickle.UnpicklingError as err:
            raise _corrupt(filename, f'UnpicklingError: {err}') from err
    with torch.serialization.safe_globals(safe_globals()):
        try:
            return _torch_load(filename, map_location, weights_only=True)
        except pickle.UnpicklingError as err:
            unsafe = _unsafe_globals(filename, is_zip, err)
            if not unsafe and not _pickle_is_whole(filename, is_zip):
                raise _corrupt(filename, f'unreadable pickle: '
                               f'{_last_line(err)}') from err
            what = ', '.join(unsafe) if unsafe else f'a construct the safe loader does not ' \
                f'rebuild ({_last_line(err)})'
    raise UnsafeCheckpointError(
        f'refused to load checkpoint {filename}: it holds {what}, outside the allow-list of '
        f'tensors, containers, plain values and numpy / mmengine log types, so unpickling '
        f'it could run code.\n'
        f'If you trust this file, set {TRUST_ENV}=1 to load it without the check.')


def _last_line(err):
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return lines[-2] if len(lines) > 1 and lines[-1].startswith('Check the doc') else (
        lines[-1] if lines else type(err).__name__)


def _history_buffer_getstate(self):
    # Upstream pickles the class-level statistics table, whose bound methods serialise as
    # getattr(HistoryBuffer, 'min'). __setstate__ re-registers the defaults, so leave it out.
    state = dict(self.__dict__)
    state.pop('statistics_methods', None)
    return state


def _atomic_put(self, obj, filepath):
    atomic_write(obj, filepath)


def _atomic_put_text(self, obj, filepath, encoding='utf-8'):
    atomic_write(obj, filepath, mode='w', encoding=encoding)


def _remove_after(save):
    """Wrap a ``CheckpointHook`` save method so that the checkpoints it replaces (beyond
    ``max_keep_ckpts``, the previous best) are removed after the new one is saved, not
    before: a failed or killed save never leaves fewer checkpoints than before."""
    def wrapped(self, *args, **kwargs):
        backend, deferred = self.file_backend, []
        if 'remove' in vars(backend):  # nested call (best checkpoint, then the regular one)
            return save(self, *args, **kwargs)
        backend.remove, backend.rmtree = deferred.append, deferred.append
        try:
            save(self, *args, **kwargs)
        finally:
            del backend.remove, backend.rmtree  # the instance attributes shadowing methods
        for path in deferred:
            (backend.rmtree if backend.isdir(path) else backend.remove)(path)

    wrapped.mars_remove_after = True
    return wrapped


def install():
    """Patch mmengine for torch >= 2.6 and safe checkpoint files.

    * local checkpoint loading goes through :func:`load_checkpoint_file`;
    * mars checkpoints do not pickle ``getattr`` (:func:`_history_buffer_getstate`);
    * ``LocalBackend.put`` / ``put_text``, through which the Runner saves checkpoints,
      write atomically (:func:`atomic_write`), and ``CheckpointHook`` removes replaced
      checkpoints (``max_keep_ckpts``, previous best) only after the new one is saved;
    * ``Runner.load_checkpoint`` compares the checkpoint's keys with the model's
      (:mod:`mars.utils.checkpoint_check`).
    """
    from .checkpoint_check import install_runner_check
    CheckpointLoader.register_scheme(prefixes='', loader=load_checkpoint_file, force=True)
    HistoryBuffer.__getstate__ = _history_buffer_getstate
    LocalBackend.put = _atomic_put
    LocalBackend.put_text = _atomic_put_text
    for name in ('_save_checkpoint_with_step', '_save_best_checkpoint'):
        method = getattr(CheckpointHook, name)
        if not getattr(method, 'mars_remove_after', False):
            setattr(CheckpointHook, name, _remove_after(method))
    install_runner_check()
