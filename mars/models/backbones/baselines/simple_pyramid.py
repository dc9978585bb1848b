"""ViTDet's simple feature pyramid: four maps (strides 4, 8, 16, 32) from one stride-16 map."""
from torch import nn
from timm.layers import LayerNorm2d


class SimpleFeaturePyramid(nn.Module):
    """Strides 4, 8, 16 and 32 from the last map of a plain ViT (stride 16), as in ViTDet
    (Li et al., 2022): two 2x2 transposed convolutions (with LayerNorm and GELU between
    them) for stride 4, one for stride 8, the map itself for stride 16 and a 2x2 max pool
    for stride 32. Channels ``dim / 4, dim / 2, dim, dim``; the FPN / UPerNet that follows
    projects them (ViTDet's own 1x1 + 3x3 output convolutions are left to that neck).

    Args:
        dim (int): Channels of the input map.
    """

    def __init__(self, dim):
        super().__init__()
        if dim % 4:
            raise ValueError(f'SimpleFeaturePyramid needs channels divisible by 4, got {dim}')
        self.out_channels = [dim // 4, dim // 2, dim, dim]
        self.up4 = nn.Sequential(
            nn.ConvTranspose2d(dim, dim // 2, 2, stride=2), LayerNorm2d(dim // 2), nn.GELU(),
            nn.ConvTranspose2d(dim // 2, dim // 4, 2, stride=2))
        self.up2 = nn.ConvTranspose2d(dim, dim // 2, 2, stride=2)
        self.down2 = nn.MaxPool2d(2, stride=2)

    def forward(self, x):
        return (self.up4(x), self.up2(x), x, self.down2(x))
