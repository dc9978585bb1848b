_base_ = ['./mars-base_lighthead_8xb2-40k_ubc-height-512x512.py']
model = dict(
    backbone=dict(
        arch='large',
        modalities=dict(
            rgb=dict(init_cfg=dict(checkpoint='checkpoints/mars_large_rgb_encoder_only.pth')),
            sar=dict(init_cfg=dict(checkpoint='checkpoints/mars_large_sar_encoder_only.pth')))),
    decode_head=dict(in_channels={{_base_.mars_archs.large.channels}}))
