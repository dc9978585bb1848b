"""The package's import graph points one way: utils <- datasets, models, evaluation <-
engine <- apis (<- tools); the synthetic-data writers (mars.testing) sit on top, loaded only
by the demo, tests and benchmarks; no module imports another one's private names."""
import ast
import glob
import os.path as osp
import subprocess
import sys

from helpers import REPO_ROOT

LAYER = dict(registry=0, version=0, utils=0, datasets=1, models=1, evaluation=1, engine=2,
             apis=3, testing=4)


def _imports(path, root=REPO_ROOT):
    """``(line, imported module, imported names)`` of every import in ``path`` (a file of
    the package under ``root``)."""
    package = osp.relpath(path, root).replace(osp.sep, '/').split('/')[:-1]
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = '.'.join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ''
            yield node.lineno, module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []


def _mars_files(root=REPO_ROOT):
    return sorted(glob.glob(osp.join(root, 'mars', '**', '*.py'), recursive=True))


def _layer_violations(root=REPO_ROOT):
    wrong = []
    for path in _mars_files(root):
        relative = osp.relpath(path, root).replace(osp.sep, '/')
        own = relative.split('/')[1].replace('.py', '')
        if own == '__init__':
            continue
        for line, module, _ in _imports(path, root):
            parts = module.split('.')
            if parts[0] != 'mars' or len(parts) < 2 or parts[1] == own:
                continue
            if LAYER[parts[1]] >= LAYER[own]:
                wrong.append(f'{relative}:{line} ({own}) imports {module}')
    return wrong


def test_layers_import_only_downwards():
    wrong = _layer_violations()
    assert not wrong, 'imports against the layering:\n' + '\n'.join(wrong)


def test_no_private_name_crosses_modules():
    wrong = []
    for path in _mars_files():
        relative = osp.relpath(path, REPO_ROOT)
        for line, module, names in _imports(path):
            private = [n for n in names if n.startswith('_') and not n.startswith('__')]
            if module.startswith('mars') and private:
                wrong.append(f'{relative}:{line} imports {private} from {module}')
    assert not wrong, '\n'.join(wrong)


def test_import_mars_does_not_load_the_synthetic_writers():
    code = ('import sys, mars; print(sorted(m for m in sys.modules '
            "if m.startswith('mars.testing') or 'synthetic' in m))")
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                            cwd=REPO_ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '[]'


def test_the_checker_sees_wrong_imports(tmp_path):
    bad = tmp_path / 'mars' / 'datasets' / 'bad.py'
    bad.parent.mkdir(parents=True)
    bad.write_text('from mars.evaluation.metrics import HeightMetric\n'
                   'from ..engine import hooks\nfrom .sardet import SARDetDataset\n'
                   'from mars.utils import geotiff\n')
    assert _layer_violations(str(tmp_path)) == [
        'mars/datasets/bad.py:1 (datasets) imports mars.evaluation.metrics',
        'mars/datasets/bad.py:2 (datasets) imports mars.engine']
