"""Fixtures of the pretraining tests: a tiny MaRS-16M tree and tiny model batches."""
import pytest
import torch

from mars.testing.synthetic_pretrain import make_synthetic_mars16m

TINY_CONFIG = 'configs/pretrain/mars-tiny_pretrain_1xb2-2e_mars16m-64x64.py'


@pytest.fixture
def mars16m_root(tmp_path):
    """Two 96x96 pairs per source (Umbra uint8 SAR, Capella uint16 SAR); returns the root."""
    root = tmp_path / 'mars16m'
    make_synthetic_mars16m(root, pairs_per_source=2, size=96, seed=0)
    return root


def _make_batch(batch=2, size=64, seed=0, mask_value=None):
    """A preprocessor input batch as the tiny pipeline makes it (random masks)."""
    generator = torch.Generator().manual_seed(seed)
    grid = size // 32
    masks = {m: (torch.rand(batch, grid, grid, generator=generator) < 0.6).to(torch.uint8)
             for m in ('rgb', 'sar')}
    if mask_value is not None:
        masks = {m: torch.full_like(v, mask_value) for m, v in masks.items()}
    return dict(
        inputs=dict(
            rgb=torch.randint(0, 256, (batch, 3, size, size), generator=generator,
                              dtype=torch.uint8),
            sar=torch.rand(batch, 1, size, size, generator=generator) * 255),
        data_samples=dict(sar_mean=torch.full((batch, ), 36.42),
                          sar_std=torch.full((batch, ), 33.89), masks=masks))


@pytest.fixture(scope='session')
def make_batch():
    """``make_batch(batch=2, size=64, seed=0, mask_value=None)``: a preprocessor input
    batch as the tiny pipeline makes it (random masks, or all ``mask_value``)."""
    return _make_batch
