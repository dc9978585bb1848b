"""One registration style (docs/architecture.md): downstream modules register through
``mars.registry.register_downstream``, pretraining ones into the ``mars`` registries; no
module calls ``register_module`` on an mmseg / mmdet registry itself. (mmengine's root
registries take only scope-independent infrastructure: the CPU DDP wrapper.)"""
import ast
import glob
import os.path as osp

from helpers import REPO_ROOT
from mmdet.registry import MODELS as DET_MODELS
from mmseg.registry import MODELS as SEG_MODELS

import mars  # noqa: F401  (registration)
from mars.registry import MODELS as MARS_MODELS

FOREIGN = ('mmseg.registry', 'mmdet.registry')


def direct_registrations(path):
    """``(line, registry name)`` of each ``<registry>.register_module`` call in ``path`` on
    a registry imported from mmseg / mmdet."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    foreign = {alias.asname or alias.name
               for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
               and node.module in FOREIGN for alias in node.names}
    return [(node.lineno, node.func.value.id) for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == 'register_module'
            and isinstance(node.func.value, ast.Name) and node.func.value.id in foreign]


def test_no_module_registers_into_a_library_registry_directly():
    found = []
    for path in glob.glob(osp.join(REPO_ROOT, 'mars', '**', '*.py'), recursive=True):
        found += [f'{osp.relpath(path, REPO_ROOT)}:{line} {name}.register_module'
                  for line, name in direct_registrations(path)]
    assert not found, 'use mars.registry.register_downstream:\n' + '\n'.join(found)


def test_the_checker_finds_a_direct_registration(tmp_path):
    path = tmp_path / 'head.py'
    path.write_text('from mmseg.registry import MODELS as SEG\n'
                    'from mars.registry import MODELS\n\n\n'
                    '@SEG.register_module()\nclass A:\n    pass\n\n\n'
                    '@MODELS.register_module()\nclass B:\n    pass\n')
    assert direct_registrations(str(path)) == [(5, 'SEG')]


def test_downstream_and_pretraining_modules_land_in_their_registries():
    # mmseg-only, mmdet-only, both (backbone), and pretraining-only examples.
    assert SEG_MODELS.get('MultiModalEncoderDecoder') is not None
    assert 'MultiModalEncoderDecoder' not in DET_MODELS.module_dict
    assert 'MultiModalCascadeRCNN' in DET_MODELS.module_dict
    assert 'MultiModalCascadeRCNN' not in SEG_MODELS.module_dict
    assert SEG_MODELS.module_dict['MaRSBackbone'] is DET_MODELS.module_dict['MaRSBackbone']
    assert 'MaRSPretrainModel' in MARS_MODELS.module_dict
    assert 'MaRSPretrainModel' not in SEG_MODELS.module_dict
