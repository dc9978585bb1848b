"""Pretraining starts from timm's ImageNet SwinV2 state dict, as the MaRS authors' does."""
import json
import os.path as osp
import subprocess
import sys

import pytest
import timm
import torch
from safetensors.torch import save_file

from mars.models.backbones.mars_backbone import MARS_ARCHS
from mars.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = MARS_ARCHS['tiny']


def _imagenet_like(seed=0):
    """A random-weight state dict in timm's full SwinV2 layout (classifier included)."""
    torch.manual_seed(seed)
    model = timm.create_model(TINY['timm_name'], pretrained=False, **TINY['timm_kwargs'])
    return {k: v.clone() for k, v in model.state_dict().items()}


def _model(start_weights):
    torch.manual_seed(1)
    model = MODELS.build(dict(type='MaRSPretrainModel', arch='tiny',
                              start_weights=str(start_weights)))
    model.init_weights()
    return model


@pytest.mark.parametrize('form', ['pth', 'safetensors'])
def test_encoders_norms_and_teacher_start_from_imagenet(tmp_path, form):
    state_dict = _imagenet_like()
    path = tmp_path / f'start.{form}'
    if form == 'pth':
        torch.save(state_dict, path)
    else:
        save_file({k: v.contiguous() for k, v in state_dict.items()}, str(path))
    model = _model(path)
    rgb = model.encoder_rgb.encoder.state_dict()
    torch.testing.assert_close(rgb['layers_2.blocks.0.mlp.fc1.weight'],
                               state_dict['layers.2.blocks.0.mlp.fc1.weight'])
    embed = state_dict['patch_embed.proj.weight']
    torch.testing.assert_close(rgb['patch_embed.proj.weight'], embed)
    # SAR: timm's in_chans=1 rule, the sum of the RGB filters.
    torch.testing.assert_close(model.encoder_sar.encoder.state_dict()['patch_embed.proj.weight'],
                               embed.sum(1, keepdim=True))
    for modality in ('rgb', 'sar'):
        torch.testing.assert_close(model.final_norms[modality].weight, state_dict['norm.weight'])
    # The teacher is the ImageNet RGB encoder too.
    teacher = model.teacher_rgb.encoder.state_dict()
    torch.testing.assert_close(teacher['layers_2.blocks.0.mlp.fc1.weight'],
                               state_dict['layers.2.blocks.0.mlp.fc1.weight'])
    torch.testing.assert_close(model.teacher_norm.weight, state_dict['norm.weight'])


def test_missing_start_weights_stop_before_training(tmp_path):
    missing = tmp_path / 'checkpoints' / 'swinv2.pth'
    with pytest.raises(FileNotFoundError, match=f'start weights {missing} do not exist'):
        _model(missing)
    with pytest.raises(ValueError, match="needs start_weights: .*or 'random'"):
        MODELS.build(dict(type='MaRSPretrainModel', arch='tiny'))


def test_converter_writes_a_checked_pth_from_safetensors(tmp_path):
    source = tmp_path / 'model.safetensors'
    save_file({k: v.contiguous() for k, v in _imagenet_like().items()}, str(source))
    out = tmp_path / 'checkpoints' / 'start.pth'
    command = [sys.executable, osp.join(REPO, 'tools', 'model_converters',
                                        'timm_swinv2_start_weights.py'),
               TINY['timm_name'], str(out), '--from', str(source), '--model-kwargs',
               json.dumps(TINY['timm_kwargs'])]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'strict load into' in result.stdout
    torch.testing.assert_close(torch.load(out)['norm.weight'], _imagenet_like()['norm.weight'])
    # A file of another model is refused by name.
    wrong = tmp_path / 'wrong.pth'
    torch.save({'fc.weight': torch.zeros(2, 2)}, wrong)
    command[command.index(str(source))] = str(wrong)
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and f'{wrong} is not a' in result.stderr
