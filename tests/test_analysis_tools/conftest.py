"""Fixtures of the analysis-tool tests: tools loaded as modules and run in-process."""
import importlib.util
import os.path as osp

import pytest
import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
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
def run_tool_main():
    """``run_tool_main('analysis_tools/get_flops.py', *args)``: the tool's ``main()`` in
    this process with ``sys.argv`` set (the command-line path without the import cost of
    a new interpreter). Returns the tool module."""
    modules = {}

    def run(tool, *args):
        if tool not in modules:
            spec = importlib.util.spec_from_file_location(
                osp.splitext(osp.basename(tool))[0], osp.join(REPO_ROOT, 'tools', tool))
            modules[tool] = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(modules[tool])
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr('sys.argv', [tool, *map(str, args)])
            modules[tool].main()
        return modules[tool]

    return run


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
