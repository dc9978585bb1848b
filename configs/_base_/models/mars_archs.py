# Output channels of MaRSBackbone per arch, for configs to read instead of writing numbers:
#   in_channels={{_base_.mars_archs.large.channels}}
# Mirrors mars.models.backbones.mars_backbone.MARS_ARCHS (a test keeps them equal).
# `stride16` is the third stage, the usual auxiliary-head input; `stride32` the deepest.
mars_archs = dict(
    base=dict(channels=[128, 256, 512, 1024], stride16=512, stride32=1024),
    large=dict(channels=[192, 384, 768, 1536], stride16=768, stride32=1536),
    tiny=dict(channels=[32, 64, 128, 256], stride16=128, stride32=256),
)
