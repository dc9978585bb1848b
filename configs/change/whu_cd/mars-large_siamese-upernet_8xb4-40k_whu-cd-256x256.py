_base_ = ['./mars-base_siamese-upernet_8xb4-40k_whu-cd-256x256.py']
rgb_large = dict(
    in_channels=3, modality='rgb',
    init_cfg=dict(type='Pretrained', checkpoint='checkpoints/mars_large_rgb_encoder_only.pth'))
model = dict(
    backbone=dict(arch='large', dates=dict(t1=rgb_large, t2=rgb_large)),
    decode_head=dict(in_channels={{_base_.mars_archs.large.channels}}),
    auxiliary_head=dict(in_channels={{_base_.mars_archs.large.stride16}}))
