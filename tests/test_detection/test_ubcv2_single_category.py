"""tools/dataset_converters/ubcv2_single_category.py (fine roof json -> one building class)."""
import json
import subprocess
import sys

import pytest
from helpers import repo_path

from mars.testing.synthetic_det import make_synthetic_ubcv2

TOOL = repo_path('tools', 'dataset_converters', 'ubcv2_single_category.py')


def _run(*args):
    return subprocess.run([sys.executable, TOOL, *map(str, args)], capture_output=True,
                          text=True, timeout=60)


@pytest.fixture
def fine_files(tmp_path):
    return make_synthetic_ubcv2(tmp_path, splits=dict(train=3, val=2), size=64,
                                shuffle_category_ids=True)


def test_writes_single_category_next_to_the_input(fine_files):
    result = _run(fine_files['train'], fine_files['val'])
    assert result.returncode == 0, result.stderr
    for split, fine_path in fine_files.items():
        with open(fine_path) as f:
            fine = json.load(f)
        with open(fine_path.replace('roof_fine', 'roof_single')) as f:
            single = json.load(f)
        assert single['categories'] == [dict(id=1, name='building', supercategory='building')]
        assert single['images'] == fine['images']
        names = {c['id']: c['name'] for c in fine['categories']}
        assert len(single['annotations']) == len(fine['annotations']) > 0
        for a, b in zip(fine['annotations'], single['annotations']):
            assert b['category_id'] == 1 and b['roof_type'] == names[a['category_id']]
            assert (b['bbox'], b['segmentation'], b['id']) == (a['bbox'], a['segmentation'],
                                                               a['id'])
        assert f'{len(fine["images"])} images' in result.stdout


def test_bad_inputs_fail_clearly_and_write_nothing(tmp_path, fine_files):
    out = tmp_path / 'out.json'
    missing = _run(tmp_path / 'nope.json', '-o', out)
    assert missing.returncode != 0 and 'nope.json' in missing.stderr
    broken = tmp_path / 'roof_fine_broken.json'
    with open(fine_files['train']) as f:
        coco = json.load(f)
    coco['annotations'][0]['category_id'] = 99
    broken.write_text(json.dumps(coco))
    result = _run(broken, '-o', out)
    assert result.returncode != 0
    assert 'roof_fine_broken.json' in result.stderr and 'category_id 99' in result.stderr
    not_coco = tmp_path / 'roof_fine_list.json'
    not_coco.write_text('[1, 2]')
    assert 'expected a COCO dict' in _run(not_coco, '-o', out).stderr
    assert 'needs exactly one input' in _run(fine_files['train'], fine_files['val'], '-o',
                                             out).stderr
    # Nothing, not even a temporary file, is left behind.
    assert not out.exists()
    assert not list(tmp_path.glob('*.tmp')) and not list(tmp_path.glob('roof_single*'))
