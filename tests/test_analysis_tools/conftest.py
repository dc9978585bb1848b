"""Fixtures of the analysis-tool tests: tiny configs and seeded checkpoints (the tools run
in-process through ``run_tool_main`` of tests/conftest.py)."""
import os.path as osp

import pytest
import torch
from helpers import REPO_ROOT
CONFIGS = dict(
    seg=osp.join(REPO_ROOT, 'tests', 'fixtures', 'configs',
                 'mars-tiny_upernet_1xb2-4iter_tiny-seg-64x64.py'),
    height=osp.join(REPO_ROOT, 'tests', 'fixtures', 'configs',
                    'mars-tiny_uperhead_1xb2-2it_ubc-height-64x64.py'),
    det=osp.join(REPO_ROOT, 'tests', 'fixtures', 'configs',
                 'mars-tiny_faster-rcnn_fpn_1xb2-1e_tiny-coco.py'),
    sardet=osp.join(REPO_ROOT, 'tests', 'fixtures', 'configs',
                    'mars-tiny_cascade-rcnn_fpn_1xb2-1e_tiny-sardet.py'),
    deepglobe=osp.join(REPO_ROOT, 'configs', 'road', 'deepglobe',
                       'mars-tiny_upernet_1xb8-300it_deepglobe-demo-128x128.py'),
    earthmiss=osp.join(REPO_ROOT, 'configs', 'landcover', 'earthmiss',
                       'mars-tiny_upernet_1xb8-500it_earthmiss-demo-128x128.py'),
)


@pytest.fixture(scope='session')
def configs():
    """Paths of tiny configs: ``seg``, ``height``, ``det``, ``sardet``, ``deepglobe``,
    ``earthmiss``."""
    return CONFIGS


@pytest.fixture(scope='session')
def save_checkpoint():
    """``save_checkpoint(config, path, seed=0)``: a seeded random model of ``config`` saved
    as an mmengine checkpoint; returns ``(path, model)``."""
    def save(config, path, seed=0):
        from mars.apis import init_model
        torch.manual_seed(seed)
        model = init_model(config)
        torch.save(dict(state_dict=model.state_dict(),
                        meta=dict(dataset_meta=model.dataset_meta)), path)
        return str(path), model

    return save
