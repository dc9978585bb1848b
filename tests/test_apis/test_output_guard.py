"""tools/infer.py never overwrites its inputs and cleans up after a killed run."""
import os
import os.path as osp

import numpy as np
import pytest
from helpers import load_tool


@pytest.fixture(scope='module')
def infer_tool():
    return load_tool('infer.py', 'infer_tool_guard')


def run_main(tool, monkeypatch, *args):
    monkeypatch.setattr('sys.argv', ['infer.py', *map(str, args)])
    tool.main()


@pytest.fixture
def no_model(monkeypatch, infer_tool):
    """Building the model fails the test: refusals must come before anything is read."""
    def fail(*args, **kwargs):
        raise AssertionError('the model was built before the output path was checked')

    monkeypatch.setattr(infer_tool, 'init_model', fail)


def _files(tmp_path, *names):
    paths = []
    for name in names:
        path = tmp_path / name
        path.write_bytes(name.encode() * 100)
        paths.append(path)
    return paths


@pytest.mark.parametrize('case', ['plain', 'sar', 'second_date', 'symlink', 'hardlink',
                                  'relative', 'checkpoint', 'part'])
def test_output_that_is_an_input_is_refused(case, tmp_path, monkeypatch, infer_tool,
                                            no_model, configs):
    rgb, sar, ckpt = _files(tmp_path, 'rgb.tif', 'sar.tif', 'model.pth')
    config = configs['seg']
    inputs, out, named = [rgb], rgb, rgb
    if case == 'sar':
        config, inputs, out, named = configs['height'], [f'rgb={rgb}', f'sar={sar}'], sar, sar
    elif case == 'second_date':
        config, inputs, out, named = configs['change'], [rgb, sar], sar, sar
    elif case == 'symlink':
        out = tmp_path / 'out' / 'pred.tif'
        out.parent.mkdir()
        os.symlink(rgb, out)
    elif case == 'hardlink':
        out = tmp_path / 'pred.tif'
        os.link(rgb, out)
    elif case == 'relative':
        monkeypatch.chdir(tmp_path)
        out = osp.join('.', 'sub', '..', 'rgb.tif')
        os.mkdir('sub')
    elif case == 'checkpoint':
        out, named = ckpt, ckpt
    elif case == 'part':  # the output's temporary would be the input
        rgb_part = tmp_path / 'rgb.tif.part'
        os.rename(rgb, rgb_part)
        rgb = named = rgb_part
        inputs, out = [rgb_part], tmp_path / 'rgb.tif'
    before = {p: p.read_bytes() for p in (rgb, sar, ckpt)}
    with pytest.raises(SystemExit) as error:
        run_main(infer_tool, monkeypatch, config, ckpt, *inputs, '--out', out)
    message = str(error.value.code)
    assert 'same file' in message
    assert str(out) in message and str(named) in message, message
    assert {p: p.read_bytes() for p in (rgb, sar, ckpt)} == before  # inputs unchanged


def test_missing_output_of_a_missing_input_compares_real_paths(tmp_path, monkeypatch,
                                                               infer_tool, no_model,
                                                               configs):
    ckpt, = _files(tmp_path, 'model.pth')
    link = tmp_path / 'link'
    os.symlink(tmp_path / 'real', link)  # a link to a folder not created yet
    with pytest.raises(SystemExit, match='same file'):
        run_main(infer_tool, monkeypatch, configs['seg'], ckpt, link / 'a.tif', '--out',
                 tmp_path / 'real' / 'a.tif')


def test_leftover_part_is_removed_by_the_next_run(tmp_path, monkeypatch, capsys,
                                                  infer_tool, write_scene, scene,
                                                  seg_checkpoint, configs):
    path, _ = write_scene(tmp_path / 'scene.tif', scene(np.random.default_rng(0), 64, 64))
    out = tmp_path / 'pred.tif'
    leftover = tmp_path / 'pred.tif.part'
    leftover.write_bytes(b'half a TIFF')  # what a killed run leaves
    other = tmp_path / 'other.tif.part'
    other.write_bytes(b'another run')
    # The next run removes the leftover before the model is built.
    monkeypatch.setattr(infer_tool, 'init_model', lambda *a, **k: (_ for _ in ()).throw(
        RuntimeError('stop after the clean-up')))
    with pytest.raises(RuntimeError, match='stop after'):
        run_main(infer_tool, monkeypatch, configs['seg'], seg_checkpoint, path, '--out', out)
    assert not leftover.exists() and other.read_bytes() == b'another run'
    printed = capsys.readouterr().out
    assert f'removed {leftover}' in printed and str(out) in printed
    monkeypatch.undo()
    # A run to the end leaves the output and no temporary.
    leftover.write_bytes(b'half a TIFF')
    run_main(infer_tool, monkeypatch, configs['seg'], seg_checkpoint, path, '--out', out,
             '--window', 64, '--overlap', 16, '--margin', 4, '--tile', 32)
    assert out.is_file() and not leftover.exists()
