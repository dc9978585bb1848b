"""Fixtures shared by the whole test suite: tiny datasets written in the real layouts."""
import pytest

from mars.datasets.synthetic import (TINY_EARTHMISS_CITIES, make_synthetic_deepglobe,
                                     make_synthetic_earthmiss)


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
