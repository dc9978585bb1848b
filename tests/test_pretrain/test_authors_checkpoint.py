"""The MaRS authors' raw pretraining checkpoint layout, both ways."""
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mars.models.pretrain.authors_checkpoint import from_authors, to_authors
from mars.registry import MODELS
from mars.utils.checkpoint_check import load_checked

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _model(seed):
    torch.manual_seed(seed)
    model = MODELS.build(dict(type='MaRSPretrainModel', arch='tiny', start_weights='random'))
    model.init_weights()
    return model


def _authors_file(state_dict):
    """What their main_pretrain.py saves: our tensors under their names, plus the keys
    their model has and ours does not (ImageNet classifiers, contrast_temp)."""
    theirs = to_authors(state_dict)
    for encoder in ('encoder_rgb', 'encoder_sar', 'teacher_encoder'):
        theirs[f'{encoder}.encoder.head.fc.weight'] = torch.zeros(1000, 256)
        theirs[f'{encoder}.encoder.head.fc.bias'] = torch.zeros(1000)
    theirs['contrast_temp'] = torch.tensor(1.0)
    return dict(model=theirs, optimizer={}, epoch=3)


def test_names_follow_the_authors_modules():
    theirs = to_authors(_model(0).state_dict())
    for key in ('encoder_rgb.encoder.layers.3.blocks.1.attn.qkv.weight',
                'encoder_sar.encoder.norm.weight', 'teacher_encoder.encoder.norm.bias',
                'alternating_attn.modality_blocks.1.1.in_proj_weight',
                'alternating_attn.global_blocks.0.3.fc2.bias', 'decoder_sar.0.weight'):
        assert key in theirs, key
    assert theirs['encoder_rgb.mask_token'].shape == (1, 1, 32)


def test_authors_checkpoint_loads_with_nothing_missing(monkeypatch):
    source, target = _model(0), _model(1)
    logged = []
    monkeypatch.setattr('mars.models.pretrain.mars_pretrain_model.print_log',
                        lambda msg, **kwargs: logged.append(msg))
    report = load_checked(target, _authors_file(source.state_dict()), 'theirs.pth',
                          strict=True)
    assert not (report['missing'] or report['unexpected'] or report['mismatched'])
    for key, value in source.state_dict().items():
        torch.testing.assert_close(target.state_dict()[key], value, msg=key)
    assert "theirs.pth: the MaRS authors' checkpoint layout" in logged[0]
    assert 'dropped 7 keys' in logged[0] and 'contrast_temp' in logged[0]


def test_round_trip_and_refusals():
    state_dict = _model(0).state_dict()
    back, unused = from_authors(to_authors(state_dict), state_dict.keys())
    assert unused == [] and back.keys() == state_dict.keys()
    with pytest.raises(KeyError, match='have no place in this model'):
        from_authors({'alternating_attn.extra.weight': torch.zeros(1)}, state_dict.keys())
    per_modality = MODELS.build(dict(type='MaRSPretrainModel', arch='tiny',
                                     start_weights='random', mma=dict(shared_intra=False)))
    with pytest.raises(KeyError, match="no place in the authors' layout"):
        to_authors(per_modality.state_dict())


def test_converter_writes_the_authors_layout(tmp_path):
    source = _model(0)
    ours = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict=source.state_dict(), meta={}), ours)
    out = tmp_path / 'authors.pth'
    result = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'model_converters',
                                  'mars_pretrain_to_authors.py'), str(ours), str(out)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    written = torch.load(out)['model']
    assert written.keys() == to_authors(source.state_dict()).keys()
