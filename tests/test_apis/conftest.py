"""Fixtures of the inference tests: tiny models saved as checkpoints, georeferenced scenes."""
import os.path as osp

import numpy as np
import pytest
import torch

from helpers import FIXTURE_CONFIGS, REPO_ROOT

from mars.utils.geotiff import utm_geo_tags, write_geotiff

SEG_CONFIG = osp.join(FIXTURE_CONFIGS, 'mars-tiny_upernet_1xb2-4iter_tiny-seg-64x64.py')
HEIGHT_CONFIG = osp.join(FIXTURE_CONFIGS, 'mars-tiny_uperhead_1xb2-2it_ubc-height-64x64.py')
DET_CONFIG = osp.join(FIXTURE_CONFIGS, 'mars-tiny_faster-rcnn_fpn_1xb2-1e_tiny-coco.py')
CHANGE_CONFIG = osp.join(REPO_ROOT, 'tests', 'test_change', 'configs',
                         'mars-tiny_siamese-upernet_1xb2-2it_whu-cd-64x64.py')
UBCV2_CONFIG = osp.join(FIXTURE_CONFIGS, 'mars-tiny_cascade-mask-rcnn_fpn_1xb2-1e_tiny-ubcv2.py')
EARTHMISS_CONFIG = osp.join(
    REPO_ROOT, 'configs', 'landcover', 'earthmiss',
    'mars-tiny_upernet_1xb8-500it_earthmiss-demo-128x128.py')


def save_tiny_checkpoint(config, path, seed=0):
    """A randomly initialised (seeded) model of ``config`` saved as an mmengine
    checkpoint with its dataset meta; returns ``(path, model)``."""
    from mars.apis import init_model
    torch.manual_seed(seed)
    model = init_model(config)
    torch.save(dict(state_dict=model.state_dict(), meta=dict(dataset_meta=model.dataset_meta)),
               path)
    return str(path), model


@pytest.fixture(scope='module')
def seg_checkpoint(tmp_path_factory):
    return save_tiny_checkpoint(SEG_CONFIG, tmp_path_factory.mktemp('seg') / 'seg.pth')[0]


def _scene(rng, height, width, channels=3, dtype=np.uint8):
    shape = (height, width) if channels == 1 else (height, width, channels)
    image = rng.integers(0, 80, shape).astype(dtype)
    image[height // 3:height // 3 + 8] = 200
    image[:, width // 2:width // 2 + 8] = 200
    return image


@pytest.fixture(scope='session')
def scene():
    """``scene(rng, height, width, channels=3, dtype=uint8)``: a random image with bright
    horizontal and vertical 'roads' (structure to predict)."""
    return _scene


@pytest.fixture(scope='session')
def configs():
    """Paths of the tiny configs: ``seg``, ``height``, ``det``, ``earthmiss``, ``change``
    (WHU-CD), ``ubcv2`` (4-band merge detection)."""
    return dict(seg=SEG_CONFIG, height=HEIGHT_CONFIG, det=DET_CONFIG, earthmiss=EARTHMISS_CONFIG,
                change=CHANGE_CONFIG, ubcv2=UBCV2_CONFIG)


@pytest.fixture(scope='session')
def save_checkpoint():
    """``save_checkpoint(config, path, seed=0)`` -> ``(path, model)``."""
    return save_tiny_checkpoint


@pytest.fixture
def write_scene():
    """``write_scene(path, array, tile=64, nodata=None, **geo)``: a tiled, Deflate
    compressed UTM GeoTIFF; returns ``(path, geo_tags)``."""
    def write(path, array, tile=64, nodata=None, **geo):
        tags = utm_geo_tags(**geo)
        write_geotiff(str(path), array, tags, nodata=nodata, tile=tile, compression='zlib')
        return str(path), tags

    return write
