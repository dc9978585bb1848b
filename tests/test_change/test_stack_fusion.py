"""'stack' temporal fusion: the plain concatenation of the dates' features (the MaRS
authors' change model), with twice the channels."""
import pytest
import torch

from mars.models.backbones import MaRSSiameseBackbone
from mars.models.backbones.temporal_fusion import fused_channels

RGB = dict(in_channels=3)


def test_stack_fusion_concatenates_the_dates_and_doubles_out_channels():
    torch.manual_seed(0)
    backbone = MaRSSiameseBackbone(dates=dict(t1=RGB, t2=RGB), arch='tiny',
                                   drop_path_rate=0., fusion='stack',
                                   out_indices=(2, 3)).eval()
    assert backbone.out_channels == [256, 512]
    first, second = torch.rand(1, 3, 64, 64), torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        fused = backbone(torch.cat([first, second], dim=1))
        one, two = backbone.encoder(first), backbone.encoder(second)
    for got, a, b in zip(fused, one, two):
        torch.testing.assert_close(got, torch.cat([a, b], dim=1))
    # No parameters beyond the shared encoder's.
    assert not list(backbone.fusions.parameters())


@pytest.mark.parametrize('fusion, expected', [('stack', 2048), ('concat', 1024),
                                              ('diff', 1024), ('abs_diff', 1024)])
def test_fused_channels(fusion, expected):
    assert fused_channels(fusion, 1024) == expected
