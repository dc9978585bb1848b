"""Per-stage fusion of the two dates' feature maps of a change-detection backbone.

Every fusion module takes the first and second date's NCHW maps of one stage (same shape)
and returns one NCHW map with the stage's channels, so any mmseg decode head built for the
single-date backbone (UPerHead with the arch's channels) reads it unchanged; except
``'stack'``, which returns the plain concatenation (twice the channels, see
:func:`fused_channels`).
"""
import torch
import torch.nn as nn

TEMPORAL_FUSION_TYPES = ('concat', 'diff', 'abs_diff', 'stack')


class TemporalConcatFusion(nn.Module):
    """Concatenation ``[f1, f2]`` and a 1x1 conv back to ``channels``.

    The conv starts as the difference ``f2 - f1`` (blocks ``-I``, ``I``, zero bias): the
    change signal at the pretrained feature scale, which training then refines with what
    concatenation adds (e.g. which date holds the building).

    Args:
        channels (int): Channels of each date's map and of the output.
    """

    def __init__(self, channels):
        super().__init__()
        self.proj = nn.Conv2d(2 * channels, channels, kernel_size=1)
        with torch.no_grad():
            identity = torch.eye(channels).view(channels, channels, 1, 1)
            self.proj.weight.copy_(torch.cat([-identity, identity], dim=1))
            self.proj.bias.zero_()

    def forward(self, first, second):
        return self.proj(torch.cat([first, second], dim=1))


class TemporalDiffFusion(nn.Module):
    """Signed ``f2 - f1`` (``absolute=False``) or ``|f1 - f2|`` (``absolute=True``).

    Args:
        absolute (bool): Take the absolute value (order-free change magnitude).
            Defaults to False.
    """

    def __init__(self, absolute=False):
        super().__init__()
        self.absolute = absolute

    def forward(self, first, second):
        diff = second - first
        return diff.abs() if self.absolute else diff


class TemporalStackFusion(nn.Module):
    """Plain concatenation ``[f1, f2]`` (``2 * channels``): the MaRS authors' change model
    concatenates the dates' deepest features and leaves the mixing to its decoder."""

    def forward(self, first, second):
        return torch.cat([first, second], dim=1)


def fused_channels(fusion, channels):
    """Channels of the fused map of a stage with ``channels`` channels per date."""
    return 2 * channels if fusion == 'stack' else channels


def build_temporal_fusion(fusion, channels):
    """The fusion module named ``fusion`` for a stage of ``channels`` channels.

    Args:
        fusion (str): ``'concat'``, ``'diff'``, ``'abs_diff'`` or ``'stack'``.
        channels (int): Channels of the stage.

    Returns:
        nn.Module: Called as ``module(first, second)``.
    """
    if fusion == 'concat':
        return TemporalConcatFusion(channels)
    if fusion == 'stack':
        return TemporalStackFusion()
    if fusion in ('diff', 'abs_diff'):
        return TemporalDiffFusion(absolute=fusion == 'abs_diff')
    raise ValueError(f'unknown temporal fusion {fusion!r}; expected one of '
                     f'{TEMPORAL_FUSION_TYPES}')
