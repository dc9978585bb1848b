"""Fixtures shared by the model tests: tiny MaRS encoder checkpoints."""
import pytest
import timm
import torch

from mars.models.backbones.mars_backbone import MARS_ARCHS


@pytest.fixture
def tiny_encoder_checkpoint(tmp_path):
    """Factory writing a released-form (timm ``features_only``) tiny SwinV2 checkpoint.

    ``make(name, in_chans=3, offset=0.)`` returns ``(path, state_dict)``; ``offset`` is
    added to every tensor so that checkpoints are told apart.
    """

    def make(name, in_chans=3, offset=0.):
        tiny = MARS_ARCHS['tiny']
        torch.manual_seed(0)
        model = timm.create_model(tiny['timm_name'], pretrained=False, features_only=True,
                                  in_chans=in_chans, img_size=512, **tiny['timm_kwargs'])
        state_dict = {k: v + offset for k, v in model.state_dict().items()}
        path = tmp_path / name
        torch.save(state_dict, path)
        return str(path), state_dict

    return make
