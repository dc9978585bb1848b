"""Fixtures of the change-detection tests: tiny WHU-CD and BRIGHT copies in the real layouts,
and the tiny configs that train on them."""
import os.path as osp

import pytest

from mars.testing.synthetic_change import make_synthetic_bright, make_synthetic_whu_cd

CONFIG_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'configs')
WHU_CD_TINY = osp.join(CONFIG_DIR, 'mars-tiny_siamese-upernet_1xb2-2it_whu-cd-64x64.py')
BRIGHT_TINY = osp.join(CONFIG_DIR, 'mars-tiny_siamese-upernet_1xb2-2it_bright-64x64.py')


@pytest.fixture
def whu_cd_root(tmp_path):
    """WHU-CD layout: {train,val,test}/{A,B,label}/<name>.png, 2 tiles of 64x64 each, and
    list/<split>.txt; returns the result of :func:`make_synthetic_whu_cd`."""
    return make_synthetic_whu_cd(tmp_path / 'whu_cd', tiles=2, size=64, with_lists=True)


@pytest.fixture
def bright_root(tmp_path):
    """BRIGHT layout: {train,val}/{pre-event,post-event,target}/, two events x 2 tiles of
    96x96 (4-band pre-event), <split>_setlevel.txt; returns the writer's result."""
    return make_synthetic_bright(tmp_path / 'bright', tiles=2, size=96, pre_bands=4,
                                 with_setlevel=True)


@pytest.fixture(scope='session')
def tiny_change_configs():
    """Paths of the tiny test configs: ``{'whu_cd': ..., 'bright': ...}``."""
    return dict(whu_cd=WHU_CD_TINY, bright=BRIGHT_TINY)


@pytest.fixture(scope='session')
def data_options():
    """``data_options(root)``: ``--cfg-options`` pointing the three dataloaders at root."""
    def options(root):
        return [f'{loader}_dataloader.dataset.data_root={root}'
                for loader in ('train', 'val', 'test')]

    return options
