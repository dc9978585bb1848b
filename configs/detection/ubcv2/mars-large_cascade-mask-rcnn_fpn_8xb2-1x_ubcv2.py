_base_ = ['./mars-base_cascade-mask-rcnn_fpn_8xb2-1x_ubcv2.py']
model = dict(
    backbone=dict(
        arch='large',
        modalities=dict(
            rgb=dict(init_cfg=dict(checkpoint='checkpoints/mars_large_rgb_encoder_only.pth')),
            sar=dict(init_cfg=dict(checkpoint='checkpoints/mars_large_sar_encoder_only.pth')))),
    neck=dict(in_channels={{_base_.mars_archs.large.channels}}))
