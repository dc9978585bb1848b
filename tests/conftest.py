"""Fixtures shared by the whole test suite: tiny datasets written in the real layouts."""
import pytest

from mars.datasets.synthetic import make_synthetic_deepglobe


@pytest.fixture
def deepglobe_root(tmp_path):
    """A DeepGlobe-layout dataset (4 train and 2 test 64x64 tiles); returns its root."""
    root = tmp_path / 'deepglobe'
    make_synthetic_deepglobe(root, num_train=4, num_test=2, size=64, seed=0)
    return root
