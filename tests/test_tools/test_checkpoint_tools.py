"""Checkpoint checks through the real tools: test.py refuses a checkpoint that does not fit
the model unless --allow-partial-checkpoint; truncated files are named by test.py and the
model converter."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
from helpers import REPO_ROOT

TOOL_TIMEOUT = 300


def run_failing(tool, *args):
    """Run a tool that must fail; returns its combined output."""
    result = subprocess.run(
        [sys.executable, osp.join('tools', tool), *map(str, args)], cwd=REPO_ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=TOOL_TIMEOUT)
    assert result.returncode != 0, f'{tool} should have failed:\n{result.stdout[-4000:]}'
    return result.stdout


THREE_CLASSES = 'model.decode_head.num_classes=3'


def test_test_refuses_another_class_count(tmp_path, trained_seg, seg_config,
                                          seg_data_options):
    work_dir = tmp_path / 'refused'
    output = run_failing('test.py', seg_config, trained_seg['checkpoint'], '--work-dir',
                         work_dir, '--cfg-options', THREE_CLASSES, *seg_data_options)
    assert 'CheckpointMismatchError' in output
    assert f'checkpoint {trained_seg["checkpoint"]} does not fit' in output
    assert 'decode_head.conv_seg.weight (checkpoint [2, 16, 1, 1], model [3, 16, 1, 1])' \
        in output
    assert '--allow-partial-checkpoint' in output
    assert not (work_dir / 'test_results.json').exists()  # no numbers from random weights


def test_test_allows_partial_checkpoint_with_the_flag(tmp_path, run_tool, trained_seg,
                                                      seg_config, seg_data_options):
    work_dir = tmp_path / 'partial'
    output = run_tool('test.py', seg_config, trained_seg['checkpoint'], '--work-dir',
                      work_dir, '--allow-partial-checkpoint', '--cfg-options', THREE_CLASSES,
                      *seg_data_options)
    assert f'checkpoint {trained_seg["checkpoint"]} loaded partially' in output
    assert 'shape-mismatched: decode_head.conv_seg.bias' in output
    assert (work_dir / 'test_results.json').exists()


def test_test_names_a_truncated_checkpoint(tmp_path, trained_seg, seg_config,
                                           seg_data_options):
    cut = tmp_path / 'cut_iter_4.pth'
    with open(trained_seg['checkpoint'], 'rb') as f:
        cut.write_bytes(f.read()[:os.path.getsize(trained_seg['checkpoint']) // 2])
    output = run_failing('test.py', seg_config, cut, '--work-dir', tmp_path / 'work',
                         '--cfg-options', *seg_data_options)
    assert f'checkpoint {cut} is truncated or corrupt' in output
    assert 'PytorchStreamReader' not in output


def test_converter_names_a_truncated_checkpoint(tmp_path, trained_seg):
    cut = tmp_path / 'pretrain_cut.pth'
    shutil.copy(trained_seg['checkpoint'], cut)
    with open(cut, 'r+b') as f:
        f.truncate(1000)
    output = run_failing(osp.join('model_converters', 'mars_pretrain_to_encoders.py'), cut,
                         tmp_path / 'out')
    assert f'checkpoint {cut} is truncated or corrupt' in output
    assert not (tmp_path / 'out').exists() or not os.listdir(tmp_path / 'out')


@pytest.mark.parametrize('tool', ['test.py', 'infer.py'])
def test_flag_is_listed_in_help(tool):
    result = subprocess.run([sys.executable, osp.join('tools', tool), '--help'], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=TOOL_TIMEOUT)
    assert '--allow-partial-checkpoint' in result.stdout
