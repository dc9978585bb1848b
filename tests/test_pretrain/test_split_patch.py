"""tools/dataset_converters/split_patch.py on small synthetic scenes."""
import os
import os.path as osp
import importlib.util
import subprocess
import sys

import numpy as np
import pytest
import tifffile

from mars.datasets import MaRS16MDataset
from mars.testing.synthetic_pretrain import make_synthetic_scene_pair
from mars.utils.geotiff import GeoTiffReader

TOOL = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'dataset_converters',
                'split_patch.py')


@pytest.fixture(scope='module')
def split_patch():
    """The tool as a module (``main(argv)`` is its command line). Registered in
    ``sys.modules`` so its worker function pickles into the forked pool processes."""
    spec = importlib.util.spec_from_file_location('split_patch', TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules['split_patch'] = module
    spec.loader.exec_module(module)
    yield vars(module)
    del sys.modules['split_patch']


def _scenes(tmp_path, **kwargs):
    rgb_dir, sar_dir = tmp_path / 'rgb_scenes', tmp_path / 'sar_scenes'
    rgb_dir.mkdir()
    sar_dir.mkdir()
    arrays = make_synthetic_scene_pair(rgb_dir / 'scene.tif', sar_dir / 'scene.tif', **kwargs)
    return rgb_dir, sar_dir, arrays


def test_patch_starts_are_edge_aligned(split_patch):
    starts = split_patch['patch_starts']
    assert starts(100, 32) == [0, 32, 64, 68]
    assert starts(96, 32) == [0, 32, 64]
    assert starts(20, 32) == []


@pytest.mark.parametrize('tile', [None, 32])  # stripped and tiled GeoTIFFs
def test_split_count_alignment_zero_skip_and_resume(tmp_path, split_patch, tile):
    # 100x150 scene, 48-pixel patches: rows at 0, 48, 52; columns at 0, 48, 96, 102.
    # SAR no-data covers the patch at (0, 0) fully and 10 % of the one at (0, 48).
    rgb_dir, sar_dir, (rgb, sar) = _scenes(
        tmp_path, height=100, width=150, tile=tile,
        zero_boxes=[(0, 48, 0, 48), (0, 48, 48, 52)])
    out = tmp_path / 'Umbra_patches'
    args = [str(rgb_dir), str(sar_dir), str(out), '--patch-size', '48', '--nproc', '2']
    totals = split_patch['main'](args)
    assert totals == dict(scenes=1, rows=3, written=11, existing=0, zero_sar=1)
    names = sorted(os.listdir(out / 'rgb'))
    assert names == sorted(os.listdir(out / 'sar')) and len(names) == 11
    assert 'scene_0_0.tif' not in names and 'scene_52_102.tif' in names
    for name in names:
        y, x = map(int, osp.splitext(name)[0].split('_')[1:])
        patch_rgb = tifffile.imread(out / 'rgb' / name)
        patch_sar = tifffile.imread(out / 'sar' / name)
        assert patch_rgb.shape == (48, 48, 3) and patch_sar.dtype == np.uint16
        np.testing.assert_array_equal(patch_rgb, rgb[y:y + 48, x:x + 48])
        np.testing.assert_array_equal(patch_sar, sar[y:y + 48, x:x + 48])
    # Georeferencing follows the patch: origin moved by (x, y) pixels of 0.5 m.
    with GeoTiffReader(out / 'sar' / 'scene_52_102.tif') as reader:
        assert reader.geo_tags[33922][3:5] == (500000.0 + 102 * 0.5, 4000000.0 - 52 * 0.5)
    assert not [n for n in os.listdir(out / 'rgb') if '.tmp' in n]

    # Resume: a lost RGB patch is rewritten, the others are left alone.
    os.remove(out / 'rgb' / 'scene_48_96.tif')
    before = os.stat(out / 'sar' / 'scene_0_96.tif').st_mtime_ns
    totals = split_patch['main'](args)
    assert (totals['written'], totals['existing']) == (1, 10)
    assert os.stat(out / 'sar' / 'scene_0_96.tif').st_mtime_ns == before
    # The output is a MaRS-16M source folder.
    assert len(MaRS16MDataset(data_root=str(tmp_path), sources=('Umbra_patches', ))) == 11


def test_size_mismatch_names_the_scene(tmp_path, split_patch):
    rgb_dir, sar_dir, _ = _scenes(tmp_path, height=64, width=64)
    tifffile.imwrite(sar_dir / 'scene.tif', np.ones((64, 60), np.uint16))
    with pytest.raises(ValueError, match='scene scene.tif: RGB .* is 64x64 but SAR .* 64x60'):
        split_patch['main']([str(rgb_dir), str(sar_dir), str(tmp_path / 'out'),
                             '--patch-size', '32', '--nproc', '1'])
    os.remove(sar_dir / 'scene.tif')
    with pytest.raises(FileNotFoundError, match='no SAR scene'):
        split_patch['main']([str(rgb_dir), str(sar_dir), str(tmp_path / 'out')])


def test_leftover_temporaries_of_a_killed_run_are_removed(tmp_path, split_patch, capsys):
    rgb_dir, sar_dir, _ = _scenes(tmp_path, height=64, width=64)
    out = tmp_path / 'out'
    (out / 'rgb').mkdir(parents=True)
    (out / 'sar').mkdir()
    dead = subprocess.Popen([sys.executable, '-c', 'pass'])
    dead.wait()  # a finished process: its temporaries are leftovers
    alive = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])
    try:
        leftovers = [out / 'sar' / f'scene_0_0.tif.tmp-{dead.pid}',
                     out / 'rgb' / f'scene_32_0.tif.tmp-{dead.pid}']
        kept = [out / 'sar' / f'scene_0_32.tif.tmp-{alive.pid}',  # a concurrent writer
                out / 'rgb' / f'other_0_0.tif.tmp-{dead.pid}',  # not a patch of this run
                out / 'rgb' / f'notes.txt.tmp-{dead.pid}']
        for path in leftovers + kept:
            path.write_bytes(b'half a patch')
        totals = split_patch['main']([str(rgb_dir), str(sar_dir), str(out),
                                      '--patch-size', '32', '--nproc', '1'])
    finally:
        alive.kill()
        alive.wait()
    assert totals['written'] == 4
    assert not any(path.exists() for path in leftovers)
    assert all(path.read_bytes() == b'half a patch' for path in kept)
    printed = capsys.readouterr().out
    for path in leftovers:
        assert f'removed {path}' in printed
    assert 'other_0_0' not in printed
