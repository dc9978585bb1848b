_base_ = ['./mars-base-sar_faster-rcnn_fpn_8xb2-1x_sardet100k.py']
model = dict(
    backbone=dict(
        arch='large',
        init_cfg=dict(checkpoint='checkpoints/mars_large_sar_encoder_only.pth')),
    neck=dict(in_channels={{_base_.mars_archs.large.channels}}))
