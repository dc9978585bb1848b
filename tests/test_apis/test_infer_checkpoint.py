"""tools/infer.py loads the checkpoint strictly unless --allow-partial-checkpoint."""
import numpy as np
import pytest
import tifffile
from helpers import load_tool
from test_infer_tool import run_main

from mars.utils.checkpoint_check import CheckpointMismatchError


@pytest.fixture(scope='module')
def infer_module():
    """tools/infer.py as a module, to run ``main()`` in this process."""
    return load_tool('infer.py', 'infer_tool_checkpoint')


def test_infer_refuses_another_class_count_unless_allowed(tmp_path, monkeypatch, infer_module,
                                                          write_scene, scene, seg_checkpoint,
                                                          configs):
    path, _ = write_scene(tmp_path / 'scene.tif', scene(np.random.default_rng(0), 96, 96))
    out = tmp_path / 'pred.tif'
    args = [configs['seg'], seg_checkpoint, path, '--out', out, '--window', 64, '--overlap',
            32, '--margin', 4, '--tile', 64, '--cfg-options', 'model.decode_head.num_classes=3']
    with pytest.raises(CheckpointMismatchError) as err:
        run_main(infer_module, monkeypatch, *args)
    assert seg_checkpoint in str(err.value) and 'decode_head.conv_seg.weight' in str(err.value)
    assert not out.exists()
    run_main(infer_module, monkeypatch, *args, '--allow-partial-checkpoint')
    assert tifffile.imread(out).shape == (96, 96)
