_base_ = ['./mars-base_upernet_8xb2-80k_deepglobe-512x512.py']
model = dict(
    backbone=dict(
        arch='large',
        init_cfg=dict(checkpoint='checkpoints/mars_large_rgb_encoder_only.pth')),
    decode_head=dict(in_channels={{_base_.mars_archs.large.channels}}),
    auxiliary_head=dict(in_channels={{_base_.mars_archs.large.stride16}}))
