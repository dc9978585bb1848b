_base_ = ['./mars-base_siamese-upernet_8xb2-40k_bright-512x512.py']
model = dict(
    backbone=dict(
        arch='large',
        dates=dict(
            pre=dict(init_cfg=dict(checkpoint='checkpoints/mars_large_rgb_encoder_only.pth')),
            post=dict(init_cfg=dict(checkpoint='checkpoints/mars_large_sar_encoder_only.pth')))),
    decode_head=dict(in_channels={{_base_.mars_archs.large.channels}}),
    auxiliary_head=dict(in_channels={{_base_.mars_archs.large.stride16}}))
