# The MaRS authors' WHU-CD protocol with MaRS-B (WanderRainy/MaRS 5da1a5a,
# downtasks/terratorch/{train,test}_change.py, changemodel.py, dataset_factory.py): one
# shared RGB encoder, the deepest (stride-32) features of both dates concatenated, a change
# block (two 3x3 convs to 256) and five LinkNet-style blocks, one sigmoid output,
# 0.5 BCE + 0.5 Dice; flips and 90-degree rotations; RGB normalised with 0.5 / 0.5; Adam
# 1e-4, StepLR x0.5 every 25 epochs, 100 epochs, 8 pairs per GPU. See README.md,
# "Paper protocol".
_base_ = [
    '../../_base_/models/mars_archs.py', '../../_base_/datasets/whu_cd.py',
    '../../_base_/default_runtime.py', '../../_base_/schedules/schedule_adam-steplr_80e.py'
]
# The authors' models use plain BatchNorm (per GPU under DDP).
norm_cfg = dict(type='BN', requires_grad=True)
# albumentations Normalize(0.5, 0.5) on uint8: (x - 127.5) / 127.5, each date.
half_norm = dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5])
data_preprocessor = dict(
    type='MultiModalSegDataPreProcessor',
    modalities=dict(t1=half_norm, t2=half_norm),
    pad_val=0,
    seg_pad_val=255,
    size=(256, 256),
    test_cfg=dict(size_divisor=32))
rgb_encoder = dict(
    in_channels=3,
    modality='rgb',
    init_cfg=dict(type='Pretrained', checkpoint='checkpoints/mars_base_rgb_encoder_only.pth'))
model = dict(
    type='SiameseEncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='MaRSSiameseBackbone',
        arch='base',
        dates=dict(t1=rgb_encoder, t2=rgb_encoder),
        shared_encoder=True,
        # Plain concatenation [f1, f2] of the deepest stage: 2 x 1024 channels.
        fusion='stack',
        out_indices=(3, ),
        # timm's SwinV2 default, which the authors' timm.create_model call keeps.
        drop_path_rate=0.1),
    decode_head=dict(
        type='LinkNetHead',
        in_channels=2048,
        in_index=0,
        fuse_channels=256,
        # Five x2 blocks, halving the width down to 32.
        decoder_channels=[128, 64, 32, 32, 32],
        channels=32,
        final_upsample=False,
        # One logit; change where sigmoid > 0.5.
        num_classes=2,
        out_channels=1,
        threshold=0.5,
        dropout_ratio=0.,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=[
            dict(type='CrossEntropyLoss', use_sigmoid=True, avg_non_ignore=True,
                 loss_weight=0.5),
            dict(type='BatchDiceLoss', loss_weight=0.5),
        ]),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
dates = ('t1', 't2')
load_pipeline = [
    dict(type='LoadBitemporalImages', dates=dates, channels=dict(t1=3, t2=3)),
    # 0/255 masks: values >= 128 are change (1). See README.md for 0/1 copies.
    dict(type='LoadDeepGlobeRoadMask', threshold=128),
]
train_pipeline = load_pipeline + [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    # albumentations RandomRotate90(p=0.5) draws k in {0, 1, 2, 3}: a real rotation
    # (k in {1, 2, 3}, uniform) happens with probability 0.5 * 3 / 4.
    dict(type='RandomRot90', prob=0.375),
    dict(type='PackMultiModalSegInputs'),
]
test_pipeline = load_pipeline + [dict(type='PackMultiModalSegInputs')]
train_dataloader = dict(
    batch_size=8,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
# 100 epochs, StepLR every 100 // 4 = 25 epochs.
param_scheduler = [
    dict(type='StepLR', step_size=25, gamma=0.5, by_epoch=True, begin=0, end=100),
]
train_cfg = dict(max_epochs=100)
log_processor = dict(by_epoch=True)
default_hooks = dict(
    # The authors keep the checkpoint of the best validation change IoU.
    checkpoint=dict(save_best='IoU.change', rule='greater'),
    visualization=dict(type='ChangeVisualizationHook'))
