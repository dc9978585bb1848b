"""Config and command-line mistakes that used to change a run silently or fail late."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner

from helpers import REPO_ROOT, load_tool

from mars.apis import init_model
from mars.utils.tool_config import (UnknownConfigKeyError, check_checkpoint_hook_args,
                                    load_tool_config, read_config)

SEG_CONFIG = osp.join(REPO_ROOT, 'tests', 'fixtures', 'configs',
                      'mars-tiny_upernet_1xb2-4iter_tiny-seg-64x64.py')


@pytest.fixture(scope='module')
def tool_train():
    return load_tool('train.py', 'mars_tool_train_checks')


def _parse(tool, monkeypatch, *argv):
    monkeypatch.setattr(sys, 'argv', ['train.py', *argv])
    monkeypatch.setenv('LOCAL_RANK', '0')
    return tool.parse_args()


def test_cfg_option_without_equals_is_a_usage_error(tool_train, monkeypatch, capsys):
    with pytest.raises(SystemExit) as exit_info:
        _parse(tool_train, monkeypatch, SEG_CONFIG, '--cfg-options', 'load_form')
    assert exit_info.value.code == 2
    assert "--cfg-options takes key=value pairs" in capsys.readouterr().err
    # mmengine's own parser died on this with "not enough values to unpack".


def test_unknown_top_level_override_is_refused_with_the_closest_key(tool_train, monkeypatch):
    args = _parse(tool_train, monkeypatch, SEG_CONFIG, '--cfg-options', 'load_form=x.pth')
    with pytest.raises(UnknownConfigKeyError) as error:
        load_tool_config(args)
    message = str(error.value)
    assert "--cfg-options load_form" in message and SEG_CONFIG in message
    assert "did you mean 'load_from'?" in message


def test_known_overrides_pass(tool_train, monkeypatch):
    # Config keys, nested keys and Runner arguments the config does not set are all valid.
    args = _parse(tool_train, monkeypatch, SEG_CONFIG, '--cfg-options',
                  'train_cfg.max_iters=2', 'experiment_name=run1', 'find_unused_parameters=1')
    cfg, _ = load_tool_config(args)
    assert cfg.train_cfg.max_iters == 2 and cfg.experiment_name == 'run1'


def test_init_model_refuses_an_unknown_override():
    with pytest.raises(UnknownConfigKeyError, match="did you mean 'model'"):
        init_model(SEG_CONFIG, cfg_options={'modle.backbone.depths': [1, 1, 1, 1]})


@pytest.mark.parametrize('broken', ['child', 'base'])
def test_syntax_error_names_the_config_file_and_line(tmp_path, broken):
    good, bad = 'a = 1\n', 'a = 1\nb = 2\nc = dict(x=[1,\n'
    (tmp_path / 'base.py').write_text(bad if broken == 'base' else good)
    (tmp_path / 'child.py').write_text("_base_ = ['base.py']\n" +
                                       (bad if broken == 'child' else good))
    line = 4 if broken == 'child' else 3
    with pytest.raises(SyntaxError) as error:
        read_config(str(tmp_path / 'child.py'))
    assert f'config {tmp_path / f"{broken}.py"}, line {line}:' in str(error.value)
    assert 'c = dict(x=[1,' in str(error.value)


class _Linear(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 2)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        return self.fc(inputs)


def test_checkpoint_hook_typo_is_refused_before_training(tmp_path):
    runner = Runner(model=_Linear(), work_dir=str(tmp_path), default_hooks=dict(
        checkpoint=dict(type='CheckpointHook', intervall=1)))
    with pytest.raises(TypeError, match="no argument 'intervall'; did you mean 'interval'"):
        check_checkpoint_hook_args(runner)
    check_checkpoint_hook_args(Runner(model=_Linear(), work_dir=str(tmp_path / 'ok'),
                                      default_hooks=dict(checkpoint=dict(
                                          type='CheckpointHook', interval=1))))


def test_train_tool_stops_on_a_hook_typo_before_the_first_iteration(tmp_path, tiny_seg_root):
    work_dir = tmp_path / 'work'
    result = subprocess.run(
        [sys.executable, 'tools/train.py', SEG_CONFIG, '--work-dir', str(work_dir),
         '--cfg-options', 'default_hooks.checkpoint.intervall=1',
         *[f'{loader}.dataset.data_root={tiny_seg_root}'
           for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "CheckpointHook has no argument 'intervall'" in result.stderr
    assert 'Iter(train)' not in result.stdout + result.stderr
