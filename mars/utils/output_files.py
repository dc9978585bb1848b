"""Guards for the files a tool writes: never the file it reads, and no leftovers of a
killed run.

Tools write an output under a temporary name in the same folder and rename it when it is
complete (``<out>.part`` for ``tools/infer.py``, ``<patch>.tmp-<pid>`` for
``split_patch.py``). A run killed by a signal leaves that temporary behind; the next run
for the same output removes it and says so. :func:`atomic_write` does both for one file
(checkpoints, ``last_checkpoint``, ``test_results.json``).
"""
import os
import os.path as osp
import re


def same_file(path, other):
    """Whether two paths name one file: ``os.path.samefile`` when both exist (links, hard
    links, relative spellings), else their real paths are compared."""
    if osp.exists(path) and osp.exists(other):
        return osp.samefile(path, other)
    return osp.realpath(path) == osp.realpath(other)


def check_not_input(outputs, inputs):
    """Raise naming both files when an output is the same file as an input.

    Args:
        outputs (list[tuple[str, str]]): ``(description, path)`` of the files to be
            written (e.g. ``[('--out', 'pred.tif'), ('its temporary', 'pred.tif.part')]``).
        inputs (list[tuple[str, str]]): ``(description, path)`` of the files read.

    Raises:
        ValueError: An output would replace an input; nothing has been read or written.
    """
    for out_name, out_path in outputs:
        for in_name, in_path in inputs:
            if same_file(out_path, in_path):
                raise ValueError(
                    f'{out_name} {out_path} is the same file as the {in_name} {in_path}: '
                    'writing it would replace that input; choose another output path')


def remove_leftover(path, what):
    """Remove ``path`` (a temporary of a killed run writing ``what``) if it is a file;
    print one line when it did. Returns whether it removed it."""
    if not osp.isfile(path) or osp.islink(path):
        return False
    os.remove(path)
    print(f'removed {path}: the unfinished temporary of an interrupted run writing {what}')
    return True


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's running process
        return True
    return True


def remove_leftover_tmp(folder, belongs):
    """Remove ``<name>.tmp-<pid>`` files in ``folder`` left by dead processes.

    Only temporaries whose ``<name>`` satisfies ``belongs(name)`` (the outputs of this
    run) and whose process ``<pid>`` no longer runs (a concurrent writer keeps its file)
    are removed, each with one printed line.

    Args:
        folder (str): Output folder.
        belongs (callable): ``belongs(name) -> bool`` for the final file name.

    Returns:
        list[str]: The removed files.
    """
    removed = []
    if not osp.isdir(folder):
        return removed
    for entry in sorted(os.listdir(folder)):
        match = re.fullmatch(r'(.+)\.tmp-(\d+)', entry)
        if match is None or not belongs(match.group(1)):
            continue
        if int(match.group(2)) != os.getpid() and _pid_alive(int(match.group(2))):
            continue
        path = osp.join(folder, entry)
        if remove_leftover(path, osp.join(folder, match.group(1))):
            removed.append(path)
    return removed


def atomic_write(data, filepath, mode='wb', encoding=None):
    """Write ``data`` to ``filepath`` all at once or not at all.

    The bytes go to ``<name>.tmp-<pid>`` in the same directory, are flushed and fsync-ed,
    then renamed over ``filepath`` (``os.replace``, atomic on POSIX). On an error the
    temporary file is removed and ``filepath`` is untouched; temporary files of the same
    target left by killed processes are removed first.
    """
    filepath = os.fspath(filepath)
    directory = osp.dirname(osp.abspath(filepath))
    os.makedirs(directory, exist_ok=True)
    remove_leftover_tmp(directory, lambda name: name == osp.basename(filepath))
    tmp_path = f'{filepath}.tmp-{os.getpid()}'
    try:
        with open(tmp_path, mode, encoding=encoding) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, filepath)
    except BaseException:
        if osp.lexists(tmp_path):
            os.remove(tmp_path)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
