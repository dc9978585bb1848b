import pytest
import torch.nn as nn
from mmseg.models import SegDataPreProcessor

from mars.engine.hooks import NormalizationCheckHook
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
