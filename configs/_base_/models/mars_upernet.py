# MaRS RGB encoder (SwinV2-B) + UPerNet with an FCN auxiliary head.
_base_ = ['./mars_archs.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    # MaRS RGB pretraining statistics (0-255).
    mean=_base_.mars_norm.rgb.mean,
    std=_base_.mars_norm.rgb.std,
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    # MaRSBackbone needs sides divisible by 32; datasets with fixed crops set `size`.
    size_divisor=32,
    test_cfg=dict(size_divisor=32))
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='MaRSBackbone',
        arch='base',
        in_channels=3,
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.3,
        init_cfg=dict(
            type='Pretrained', checkpoint='checkpoints/mars_base_rgb_encoder_only.pth')),
    decode_head=dict(
        type='UPerHead',
        in_channels={{_base_.mars_archs.base.channels}},
        in_index=[0, 1, 2, 3],
        pool_scales=(1, 2, 3, 6),
        channels=512,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)),
    auxiliary_head=dict(
        type='FCNHead',
        in_channels={{_base_.mars_archs.base.stride16}},
        in_index=2,
        channels=256,
        num_convs=1,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=19,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=0.4)),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
