# MaRS facts shared by the model bases.
# Output channels of MaRSBackbone per arch, for configs to read instead of writing numbers:
#   in_channels={{_base_.mars_archs.large.channels}}
# Mirrors mars.models.backbones.mars_backbone.MARS_ARCHS (a test keeps them equal).
# `stride16` is the third stage, the usual auxiliary-head input; `stride32` the deepest.
mars_archs = dict(
    base=dict(channels=[128, 256, 512, 1024], stride16=512, stride32=1024),
    large=dict(channels=[192, 384, 768, 1536], stride16=768, stride32=1536),
    tiny=dict(channels=[32, 64, 128, 256], stride16=128, stride32=256),
)
# The MaRS pretraining input statistics (0-255 scale), for configs to read instead of
# writing numbers: `_base_.mars_norm.rgb` (MaRS-16M optical, R, G, B) and
# `_base_.mars_norm.sar` (MaRS-16M Umbra SAR, uint8). Mirrors
# mars.utils.normalization (a test keeps them equal).
mars_norm = dict(
    rgb=dict(mean=[87.01, 91.52, 83.51], std=[62.66, 54.58, 53.11]),
    sar=dict(mean=[36.42], std=[33.89]),
)
