"""Paths and helpers shared by the test suite (tests/conftest.py turns them into fixtures).

Importable as ``helpers`` from any test module: pytest puts ``tests/`` on ``sys.path`` for
the root conftest. Every path here is absolute, so the suite runs from any working
directory.
"""
import contextlib
import importlib.util
import os.path as osp
import socket

from mmengine.registry import DefaultScope

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
FIXTURE_CONFIGS = osp.join(REPO_ROOT, 'tests', 'fixtures', 'configs')


def repo_path(*parts):
    """The absolute path of ``parts`` (``'configs/...'`` or path pieces) in the repository."""
    return osp.join(REPO_ROOT, *parts)


def load_tool(tool, name=None):
    """``tools/<tool>`` (e.g. ``'infer.py'``, ``'misc/check_install.py'``) loaded as a new
    module, to call its functions or ``main()`` in this process (no interpreter start)."""
    path = repo_path('tools', tool)
    if not osp.isfile(path):
        raise FileNotFoundError(f'no tool {tool!r}: {path} does not exist')
    name = name or 'mars_tool_' + osp.splitext(tool)[0].replace('/', '_')
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def kept_default_scope():
    """Restore mmengine's default scopes (and so the current one) on leaving the block.

    Building from a config sets a process-wide default scope (mmseg, mmdet or mars) that
    decides which registry names resolve in; the autouse fixture of tests/conftest.py runs
    every test in this block so that one test's scope does not change what the next builds.
    """
    scopes = DefaultScope._instance_dict.copy()
    try:
        yield
    finally:
        DefaultScope._instance_dict = scopes


def find_free_port():
    """A TCP port free on this machine, for torchrun's rendezvous."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
