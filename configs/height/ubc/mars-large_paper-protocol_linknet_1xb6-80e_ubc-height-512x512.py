# The MaRS authors' UBC height protocol with MaRS-L (the decoder sizes of their
# heightmodel.py, feat_dim=1536); see the MaRS-B config.
_base_ = ['./mars-base_paper-protocol_linknet_1xb6-80e_ubc-height-512x512.py']
model = dict(
    backbone=dict(
        arch='large',
        modalities=dict(
            rgb=dict(init_cfg=dict(checkpoint='checkpoints/mars_large_rgb_encoder_only.pth')),
            sar=dict(init_cfg=dict(checkpoint='checkpoints/mars_large_sar_encoder_only.pth')))),
    decode_head=dict(in_channels={{_base_.mars_archs.large.stride32}},
                     decoder_channels=[768, 384, 192, 64]))
