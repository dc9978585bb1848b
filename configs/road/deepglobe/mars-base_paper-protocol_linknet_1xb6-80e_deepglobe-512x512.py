# The MaRS authors' DeepGlobe road protocol with MaRS-B (WanderRainy/MaRS 5da1a5a,
# downtasks/terratorch/{train,test}_road.py, segmodel.py, dataset_factory.py): the RGB
# encoder's deepest (stride-32) features through a LinkNet-style decoder without skip
# connections, 2 classes, 0.5 CE + 0.5 Dice; 512 crops, flips and rotations up to 90
# degrees; RGB normalised with 0.5 / 0.5; Adam 1e-4, StepLR x0.5 every 20 epochs,
# 80 epochs, 6 images per GPU; whole 1024 tiles tested through 512 windows at stride 512.
# See README.md, "Paper protocol".
_base_ = [
    '../../_base_/models/mars_archs.py', '../../_base_/datasets/deepglobe.py',
    '../../_base_/default_runtime.py', '../../_base_/schedules/schedule_adam-steplr_80e.py'
]
crop_size = (512, 512)
# The authors' models use plain BatchNorm (per GPU under DDP).
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='SegDataPreProcessor',
    # albumentations Normalize(0.5, 0.5) on uint8: (x - 127.5) / 127.5.
    mean=[127.5, 127.5, 127.5],
    std=[127.5, 127.5, 127.5],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size,
    test_cfg=dict(size_divisor=32))
model = dict(
    type='EncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='MaRSBackbone',
        arch='base',
        in_channels=3,
        out_indices=(3, ),
        # timm's SwinV2 default, which the authors' timm.create_model call keeps.
        drop_path_rate=0.1,
        init_cfg=dict(
            type='Pretrained', checkpoint='checkpoints/mars_base_rgb_encoder_only.pth')),
    decode_head=dict(
        type='LinkNetHead',
        in_channels={{_base_.mars_archs.base.stride32}},
        in_index=0,
        # Blocks with the encoder's stage widths c3 -> c2 -> c1 -> c0 -> c0 (x16), final
        # transposed conv to 32 (x2) and one 3x3 conv.
        decoder_channels=[512, 256, 128, 128],
        channels=32,
        final_upsample=True,
        num_final_convs=1,
        num_classes=2,
        dropout_ratio=0.,
        norm_cfg=norm_cfg,
        align_corners=False,
        loss_decode=[
            dict(type='CrossEntropyLoss', use_sigmoid=False, avg_non_ignore=True,
                 loss_weight=0.5),
            dict(type='BatchDiceLoss', loss_weight=0.5),
        ]),
    train_cfg=dict(),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=crop_size))
# Their loader reads the mask PNG as grayscale and calls every non-zero pixel road.
load_pipeline = [
    dict(type='LoadRSImageFromFile'),
    dict(type='LoadDeepGlobeRoadMask', threshold=1),
]
train_pipeline = load_pipeline + [
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    # albumentations Rotate(limit=90, p=0.5): any angle in [-90, 90], reflected borders.
    dict(type='RandomRotateBorder', prob=0.5, degree=90, border_mode='reflect_101'),
    dict(type='PackSegInputs'),
]
test_pipeline = load_pipeline + [dict(type='PackSegInputs')]
train_dataloader = dict(
    batch_size=6,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
log_processor = dict(by_epoch=True)
# The authors keep the checkpoint of the best validation IoU averaged over both classes.
default_hooks = dict(checkpoint=dict(save_best='mIoU', rule='greater'))
