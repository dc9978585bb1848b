"""Fixtures shared by the whole test suite: tiny datasets written in the real layouts and
runners of the command-line tools.

The tools run as subprocesses from the repository root, as a user runs them
(``python tools/train.py ...``), so tests check the real command line, work dir and log;
``run_tool_main`` runs a tool's ``main()`` in this process instead. Paths come from
tests/helpers.py (absolute: the suite runs from any working directory).
"""
import os
import os.path as osp
import subprocess
import sys

import pytest
from helpers import REPO_ROOT, find_free_port, kept_default_scope, load_tool

from mars.testing.synthetic import (TINY_EARTHMISS_CITIES, make_synthetic_deepglobe,
                                    make_synthetic_earthmiss, make_synthetic_ubc_height)

TOOL_TIMEOUT = 300  # seconds; a tool run takes 10-30 s on 2 CPU cores


@pytest.fixture(autouse=True)
def isolated_default_scope():
    """Restore mmengine's default scope after each test (see ``kept_default_scope``)."""
    with kept_default_scope():
        yield


@pytest.fixture
def deepglobe_root(tmp_path):
    """A DeepGlobe-layout dataset (4 train and 2 test 64x64 tiles); returns its root."""
    root = tmp_path / 'deepglobe'
    make_synthetic_deepglobe(root, num_train=4, num_test=2, size=64, seed=0)
    return root


@pytest.fixture
def earthmiss_root(tmp_path):
    """An EarthMiss-layout dataset (TIFF), two 64x64 tiles in each city of
    ``TINY_EARTHMISS_CITIES`` (two cities per split: pass ``cities=`` to the dataset);
    returns its root."""
    root = tmp_path / 'earthmiss'
    cities = [city for split in TINY_EARTHMISS_CITIES.values() for city in split]
    make_synthetic_earthmiss(root, cities=cities, tiles_per_city=2, size=64, seed=0)
    return root


@pytest.fixture
def ubc_height_root(tmp_path):
    """A UBC-height-layout dataset: six 64x64 ``train`` tiles (RGB, SAR, float32 height
    with 5 NaN nodata pixels each); returns its root."""
    root = tmp_path / 'ubc_height'
    make_synthetic_ubc_height(root, splits=('train', ), tiles=6, size=64, seed=0,
                              nodata_pixels=5)
    return root


def _run(command, env=None):
    """Run ``command`` from the repository root; fail the test with its output if it fails."""
    full_env = dict(os.environ, **(env or {}))
    result = subprocess.run(
        command, cwd=REPO_ROOT, env=full_env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=TOOL_TIMEOUT)
    if result.returncode != 0:
        pytest.fail(f'{" ".join(command)} exited with {result.returncode}:\n'
                    f'{result.stdout[-8000:]}')
    return result.stdout


@pytest.fixture(scope='session')
def run_tool():
    """``run_tool('train.py', *args)``: run a Python tool with this interpreter.

    Returns the combined stdout / stderr.
    """
    def run(tool, *args, env=None):
        return _run([sys.executable, osp.join('tools', tool), *map(str, args)], env=env)

    return run


@pytest.fixture(scope='session')
def run_script():
    """``run_script('dist_train.sh', *args, env=...)``: run a shell tool with bash."""
    def run(script, *args, env=None):
        env = dict(PYTHON=sys.executable, **(env or {}))
        return _run(['bash', osp.join('tools', script), *map(str, args)], env=env)

    return run


@pytest.fixture(scope='session')
def repo_root():
    """The absolute path of the repository."""
    return REPO_ROOT


@pytest.fixture(scope='session')
def tool_module():
    """``tool_module('infer.py')``: ``tools/infer.py`` loaded as a module (cached per
    session)."""
    modules = {}

    def get(tool):
        if tool not in modules:
            modules[tool] = load_tool(tool)
        return modules[tool]

    return get


@pytest.fixture(scope='session')
def run_tool_main(tool_module):
    """``run_tool_main('analysis_tools/get_flops.py', *args)``: the tool's ``main()`` in
    this process with ``sys.argv`` set (the command-line path without the import cost of
    a new interpreter). Returns the tool module."""
    def run(tool, *args):
        module = tool_module(tool)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr('sys.argv', [tool, *map(str, args)])
            module.main()
        return module

    return run


@pytest.fixture
def free_port():
    """A TCP port free on this machine, for torchrun's rendezvous."""
    return find_free_port()
