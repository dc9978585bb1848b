# The MaRS authors' DeepGlobe road protocol with MaRS-L (the decoder sizes of their
# segmodel.py, filters [192, 384, 768, 1536]); see the MaRS-B config.
_base_ = ['./mars-base_paper-protocol_linknet_1xb6-80e_deepglobe-512x512.py']
model = dict(
    backbone=dict(
        arch='large',
        init_cfg=dict(checkpoint='checkpoints/mars_large_rgb_encoder_only.pth')),
    decode_head=dict(in_channels={{_base_.mars_archs.large.stride32}},
                     decoder_channels=[768, 384, 192, 192]))
