import os
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest
import tifffile
import torch
import torch.nn as nn
from mmseg.models import SegDataPreProcessor

from helpers import REPO_ROOT

from mars.engine.hooks import NormalizationCheckHook, input_range_problems
from mars.engine.hooks import normalization_check_hook as hook_module
from mars.engine.hooks.normalization_check_hook import META_KEY


class FakeRunner:
    """Just what the hook reads: ``runner.model.data_preprocessor``."""

    def __init__(self, mean, std):
        self.model = nn.Module()
        self.model.data_preprocessor = SegDataPreProcessor(mean=mean, std=std)


def saved_checkpoint(mean=(1., 2., 3.), std=(4., 5., 6.)):
    checkpoint = {'meta': {}}
    NormalizationCheckHook().before_save_checkpoint(FakeRunner(mean, std), checkpoint)
    return checkpoint


def test_training_normalisation_is_saved_in_checkpoint_meta():
    assert saved_checkpoint()['meta'][META_KEY] == {
        'img': {'mean': [1., 2., 3.], 'std': [4., 5., 6.]}}


@pytest.fixture
def logged(monkeypatch):
    messages = []
    monkeypatch.setattr(hook_module, 'print_log', lambda msg, **kwargs: messages.append(msg))
    return messages


def test_same_normalisation_loads_silently(logged):
    NormalizationCheckHook().after_load_checkpoint(FakeRunner((1, 2, 3), (4, 5, 6)),
                                                   saved_checkpoint())
    assert logged == []


def test_different_normalisation_warns_or_errors(logged):
    runner = FakeRunner((0, 0, 0), (1, 1, 1))
    NormalizationCheckHook().after_load_checkpoint(runner, saved_checkpoint())
    assert len(logged) == 1 and 'input normalisation differs' in logged[0]
    with pytest.raises(ValueError, match=r"checkpoint: \{'img': \{'mean': \[1.0, 2.0, 3.0\]"):
        NormalizationCheckHook(on_mismatch='error').after_load_checkpoint(
            runner, saved_checkpoint())


def test_checkpoints_without_the_record_load(logged):
    NormalizationCheckHook(on_mismatch='error').after_load_checkpoint(
        FakeRunner((0, 0, 0), (1, 1, 1)), {'meta': {}})
    assert logged == []


# --- the input check: statistics that do not fit the data ---------------------------------

RGB_0_255 = dict(mean=[87.01, 91.52, 83.51], std=[62.66, 54.58, 53.11])
SAR_UINT8 = dict(mean=[36.42], std=[33.89])


def rgb_sar_batch(rgb_scale=1., sar_scale=1., seed=0):
    """Two [4, 16, 16] RGB + SAR samples: uint8-like RGB and SAR times the scales."""
    gen = torch.Generator().manual_seed(seed)
    rgb = torch.rand(2, 3, 16, 16, generator=gen) * 200 + 20
    sar = torch.distributions.Gamma(2., 2. / 36.).sample((2, 1, 16, 16))
    return list(torch.cat([rgb * rgb_scale, sar * sar_scale], 1))


def test_matching_statistics_pass():
    spec = dict(rgb=RGB_0_255, sar=SAR_UINT8)
    assert input_range_problems(rgb_sar_batch(), spec) == []
    # Float SAR with its own (float) statistics, as UBC: quiet as well.
    float_sar = dict(rgb=RGB_0_255, sar=dict(mean=[0.2634], std=[0.5957]))
    assert input_range_problems(rgb_sar_batch(sar_scale=0.2634 / 36), float_sar) == []


def test_float_rgb_in_0_1_with_0_255_statistics_is_reported():
    problems = input_range_problems(rgb_sar_batch(rgb_scale=1 / 255),
                                    dict(rgb=RGB_0_255, sar=SAR_UINT8))
    assert len(problems) == 1 and problems[0].startswith("modality 'rgb' (channels 0-2")
    assert re.search(r'values in \[0\.0\d+, 0\.8\d+\]', problems[0])


def test_uint16_sar_with_uint8_statistics_is_reported():
    problems = input_range_problems(rgb_sar_batch(sar_scale=60.),
                                    dict(rgb=RGB_0_255, sar=SAR_UINT8))
    assert len(problems) == 1 and problems[0].startswith("modality 'sar' (channels 3-3")


def test_missing_modalities_are_not_checked():
    batch = rgb_sar_batch(sar_scale=0.)  # zero-filled SAR ...
    spec = dict(rgb=RGB_0_255, sar=SAR_UINT8)
    assert len(input_range_problems(batch, spec)) == 1
    # ... marked missing in both samples: nothing to check.
    assert input_range_problems(batch, spec, masks=[(True, False)] * 2) == []


def test_single_statistics_on_three_channels_and_bgr():
    grey = [torch.full((3, 8, 8), 30.) + torch.arange(64.).view(1, 8, 8)]
    assert input_range_problems(grey, dict(img=SAR_UINT8)) == []
    bgr = [torch.stack([torch.rand(8, 8) * 50 + 200, torch.rand(8, 8) * 50,
                        torch.rand(8, 8) * 50])]
    spec = dict(img=dict(mean=[25., 25., 225.], std=[15., 15., 15.]))
    assert input_range_problems(bgr, spec) != []
    assert input_range_problems(bgr, spec, reverse_channels=True) == []


def test_hook_arguments_are_checked():
    with pytest.raises(ValueError, match=r'std_ratio\[0\] < 1'):
        NormalizationCheckHook(std_ratio=(2, 3))


TINY_UBC = osp.join(REPO_ROOT, 'tests', 'fixtures', 'configs',
                    'mars-tiny_uperhead_1xb2-2it_ubc-height-64x64.py')


def rewrite(root, sub, convert):
    folder = osp.join(root, 'train', sub)
    for name in os.listdir(folder):
        path = osp.join(folder, name)
        array = convert(tifffile.imread(path))
        tifffile.imwrite(path, array, photometric='rgb' if array.ndim == 3 else 'minisblack')


def train_output(root, work_dir, *options):
    data = [f'{loader}_dataloader.dataset.data_root={root}'
            for loader in ('train', 'val', 'test')]
    result = subprocess.run(
        [sys.executable, 'tools/train.py', TINY_UBC, '--work-dir', str(work_dir),
         '--cfg-options', *data, *options],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=300)
    return result.returncode, result.stdout


def test_train_stops_on_float_rgb_with_0_255_statistics(ubc_height_root, tmp_path):
    rewrite(ubc_height_root, 'rgb', lambda a: a.astype(np.float32) / 255)
    code, out = train_output(ubc_height_root, tmp_path / 'work')
    assert code != 0
    assert "the input normalisation does not fit the train data" in out
    assert "modality 'rgb' (channels 0-2, float32 file" in out and "modality 'sar'" not in out
    assert f'python tools/analysis_tools/compute_stats.py {TINY_UBC} --split train' in out


def test_train_stops_on_uint16_sar_with_uint8_statistics(ubc_height_root, tmp_path):
    rewrite(ubc_height_root, 'sar', lambda a: (a * 2000).astype(np.uint16))
    uint8_stats = ['model.data_preprocessor.modalities.sar.mean=[36.42]',
                   'model.data_preprocessor.modalities.sar.std=[33.89]']
    code, out = train_output(ubc_height_root, tmp_path / 'work', *uint8_stats)
    assert code != 0
    assert "modality 'sar' (channels 3-3, uint16 file, torch.float32 input)" in out
    assert "modality 'rgb'" not in out and 'compute_stats.py' in out
    # The switch turns the check off: the same run trains.
    code, out = train_output(ubc_height_root, tmp_path / 'off', *uint8_stats,
                             'custom_hooks.0.check_inputs=False')
    assert code == 0, out[-3000:]


def test_hook_checks_the_first_batches_of_a_plain_preprocessor():
    runner = FakeRunner(RGB_0_255['mean'], RGB_0_255['std'])
    hook = NormalizationCheckHook(check_batches=1)
    uint8_like = dict(inputs=[torch.rand(3, 8, 8) * 200 + 20])
    hook.before_val_iter(runner, 0, uint8_like)  # fits: quiet
    floats = dict(inputs=[torch.rand(3, 8, 8)])
    with pytest.raises(ValueError, match=r"test data \(batch 1\):\n  modality 'img' "
                                         r"\(channels 0-2, torch.float32\)") as error:
        hook.before_test_iter(runner, 0, floats)
    assert 'python tools/analysis_tools/compute_stats.py CONFIG --split train' in \
        str(error.value)
    # Only the first `check_batches` batches of each loop are checked ...
    hook.before_val_iter(runner, 1, floats)
    # ... and the switch turns the check off.
    NormalizationCheckHook(check_inputs=False).before_train_iter(runner, 0, floats)
