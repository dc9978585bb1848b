"""The MaRS pretraining statistics are written once for the configs
(configs/_base_/models/mars_archs.py) and once for the code (mars.utils.normalization):
the two agree, the code's users read the constant, and no config writes the numbers."""
import glob
import os.path as osp

import pytest
from helpers import REPO_ROOT
from mmengine.config import Config

from mars.datasets.mars16m import MARS16M_SAR_NORM
from mars.models.pretrain.data_preprocessor import MARS16M_RGB_MEAN, MARS16M_RGB_STD
from mars.utils.normalization import (MARS_CAPELLA_SAR_NORM, MARS_RGB_NORM,
                                      MARS_UMBRA_SAR_NORM)

ARCHS = osp.join(REPO_ROOT, 'configs', '_base_', 'models', 'mars_archs.py')
# Where the numbers may be written: the one config base. configs/pretrain has its own
# ``rgb_mean`` argument of the pretraining preprocessor (checked below by value).
HOME = {ARCHS}


def _as_lists(norm):
    return {key: list(values) for key, values in norm.items()}


def test_the_config_base_and_the_python_constants_agree():
    norm = Config.fromfile(ARCHS).mars_norm
    assert norm.rgb.to_dict() == _as_lists(MARS_RGB_NORM)
    assert norm.sar.to_dict() == _as_lists(MARS_UMBRA_SAR_NORM)


def test_the_code_reads_the_constants():
    assert (MARS16M_RGB_MEAN, MARS16M_RGB_STD) == (MARS_RGB_NORM['mean'], MARS_RGB_NORM['std'])
    for source, norm in (('Umbra_patches', MARS_UMBRA_SAR_NORM),
                         ('Capella_patches', MARS_CAPELLA_SAR_NORM)):
        assert MARS16M_SAR_NORM[source] == dict(mean=norm['mean'][0], std=norm['std'][0])


@pytest.mark.parametrize('name, values', [('RGB mean', MARS_RGB_NORM['mean']),
                                          ('RGB std', MARS_RGB_NORM['std']),
                                          ('Umbra SAR mean', MARS_UMBRA_SAR_NORM['mean'])])
def test_no_downstream_config_writes_the_numbers(name, values):
    written = ', '.join(str(v) for v in values)
    offenders = []
    for path in glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True):
        if path in HOME or f'{osp.sep}pretrain{osp.sep}' in path:
            continue
        with open(path) as f:
            if written in f.read():
                offenders.append(osp.relpath(path, REPO_ROOT))
    assert not offenders, f'{name} [{written}] written in {offenders}: read mars_norm'


@pytest.mark.parametrize('config, key, expected', [
    ('configs/road/deepglobe/mars-base_upernet_8xb2-80k_deepglobe-512x512.py',
     'model.data_preprocessor', MARS_RGB_NORM),
    ('configs/detection/sardet100k/mars-base-sar_faster-rcnn_fpn_8xb2-1x_sardet100k.py',
     'model.data_preprocessor', MARS_UMBRA_SAR_NORM),
    ('configs/detection/sardet100k/mars-large-sar_cascade-rcnn_fpn_8xb2-1x_sardet100k.py',
     'model.data_preprocessor', MARS_UMBRA_SAR_NORM),
    ('configs/landcover/earthmiss/mars-tiny_upernet_1xb8-500it_earthmiss-demo-128x128.py',
     'model.data_preprocessor.modalities.rgb', MARS_RGB_NORM),
    ('configs/landcover/earthmiss/mars-tiny_upernet_1xb8-500it_earthmiss-demo-128x128.py',
     'model.data_preprocessor.modalities.sar', MARS_UMBRA_SAR_NORM),
    ('configs/change/whu_cd/mars-base_siamese-upernet_8xb4-40k_whu-cd-256x256.py',
     'model.data_preprocessor.modalities.t2', MARS_RGB_NORM),
])
def test_configs_built_from_the_base_carry_the_statistics(config, key, expected):
    node = Config.fromfile(osp.join(REPO_ROOT, config))
    for part in key.split('.'):
        node = node[part]
    assert (list(node.mean), list(node.std)) == (list(expected['mean']), list(expected['std']))
