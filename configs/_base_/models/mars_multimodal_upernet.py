# MaRS RGB + SAR encoders (SwinV2-B each, own weights), fused per stage, + UPerNet with an
# FCN auxiliary head. Inputs stack the modalities on the channel axis: RGB 0-2, SAR 3.
_base_ = ['./mars_archs.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
data_preprocessor = dict(
    type='MultiModalSegDataPreProcessor',
    # MaRS pretraining statistics (0-255): RGB, and Umbra SAR (uint8).
    modalities=dict(
        rgb=dict(mean=[87.01, 91.52, 83.51], std=[62.66, 54.58, 53.11]),
        sar=dict(mean=[36.42], std=[33.89])),
    pad_val=0,
    seg_pad_val=255,
    # MaRS encoders need sides divisible by 32; datasets with fixed crops set `size`.
    size_divisor=32,
    test_cfg=dict(size_divisor=32))
model = dict(
    type='MultiModalEncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='MaRSMultiModalBackbone',
        arch='base',
        modalities=dict(
            rgb=dict(in_channels=3, init_cfg=dict(
                type='Pretrained', checkpoint='checkpoints/mars_base_rgb_encoder_only.pth')),
            sar=dict(in_channels=1, init_cfg=dict(
                type='Pretrained', checkpoint='checkpoints/mars_base_sar_encoder_only.pth'))),
        # Sum of the present modalities' features per stage: the MaRS authors' choice.
        fusion='sum',
        # Train for missing inputs: each sample loses RGB or SAR with this probability
        # (never both).
        modality_dropout=dict(rgb=0.15, sar=0.15),
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.3),
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
