# The MaRS authors' UBC height protocol with MaRS-B (WanderRainy/MaRS 5da1a5a,
# downtasks/terratorch/{train,test}_height.py, heightmodel.py, dataset_factory.py): RGB and
# SAR encoders, their deepest (stride-32) features summed, a LinkNet-style decoder without
# skips, L1 on height / 183.17412; Adam 1e-4, StepLR x0.5 every 20 epochs, 80 epochs,
# 6 images per GPU; validation on a 20 % hold-out of train (seed 42). Metrics are ours
# (metres, pooled over the split): see README.md, "Paper protocol".
_base_ = [
    '../../_base_/models/mars_archs.py', '../../_base_/datasets/ubc_height.py',
    '../../_base_/default_runtime.py', '../../_base_/schedules/schedule_adam-steplr_80e.py'
]
# The authors' statistics (dataset_factory.py, DFC23Track2DataModule): RGB on the 0-1 scale
# (their loader divides RGB by 255), SAR as stored (float).
authors_rgb = dict(mean=[0.3182, 0.3442, 0.2818], std=[0.1796, 0.1645, 0.1689])
authors_sar = dict(mean=[0.2634], std=[0.5957])
# Switch between the two readings of the authors' normalisation with
#   model = dict(data_preprocessor=dict(modalities={{_base_.paper_normalisation.as_run}}))
# in a config inheriting this one. 'intended' (default): RGB / 255, then the statistics
# above. 'as_run': what the authors' code computes: albumentations' Normalize multiplies
# mean and std by max_pixel_value=255 although the RGB is already / 255, so RGB becomes
# a near-constant (about -1.77) and SAR is (x - 67.17) / 151.90. Here in the units of the
# loaded data (RGB 0-255, SAR as stored).
paper_normalisation = dict(
    intended=dict(
        rgb=dict(mean=[m * 255 for m in authors_rgb['mean']],
                 std=[s * 255 for s in authors_rgb['std']]),
        sar=authors_sar),
    as_run=dict(
        rgb=dict(mean=[m * 255 * 255 for m in authors_rgb['mean']],
                 std=[s * 255 * 255 for s in authors_rgb['std']]),
        sar=dict(mean=[m * 255 for m in authors_sar['mean']],
                 std=[s * 255 for s in authors_sar['std']])))
# The authors' models use plain BatchNorm (per GPU under DDP).
norm_cfg = dict(type='BN', requires_grad=True)
data_preprocessor = dict(
    type='MultiModalSegDataPreProcessor',
    modalities=paper_normalisation['intended'],
    pad_val=0,
    seg_pad_val=255,
    size_divisor=32,
    test_cfg=dict(size_divisor=32))
model = dict(
    type='MultiModalHeightEstimator',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        type='MaRSMultiModalBackbone',
        arch='base',
        modalities=dict(
            rgb=dict(in_channels=3, init_cfg=dict(
                type='Pretrained', checkpoint='checkpoints/mars_base_rgb_encoder_only.pth')),
            sar=dict(in_channels=1, init_cfg=dict(
                type='Pretrained', checkpoint='checkpoints/mars_base_sar_encoder_only.pth'))),
        fusion='sum',
        out_indices=(3, ),
        # timm's SwinV2 default, which the authors' timm.create_model call keeps.
        drop_path_rate=0.1),
    decode_head=dict(
        type='HeightLinkNetHead',
        in_channels={{_base_.mars_archs.base.stride32}},
        in_index=0,
        # Blocks C -> C/2 -> C/4 -> C/8 -> 64 (x16), final transposed conv to 32 (x2).
        decoder_channels=[512, 256, 128, 64],
        channels=32,
        final_upsample=True,
        num_final_convs=0,
        dropout_ratio=0.,
        norm_cfg=norm_cfg,
        align_corners=False,
        # The network regresses height / 183.17412 (the authors' label_max), without
        # output activation; predictions and metrics are in metres.
        target_scale=1 / 183.17412,
        output_activation=None,
        loss_decode=dict(type='HeightL1Loss')),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
modalities = ('rgb', 'sar')
load_pipeline = [
    dict(type='LoadMultiModalImages', modalities=modalities, channels=dict(rgb=3, sar=1)),
    dict(type='LoadHeightAnnotation'),
]
# RandomCrop 512 (a no-op on the 512x512 tiles), horizontal and vertical flips.
train_pipeline = load_pipeline + [
    dict(type='RandomCrop', crop_size=(512, 512)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='PackMultiModalSegInputs'),
]
test_pipeline = load_pipeline + [dict(type='PackMultiModalSegInputs')]
train_dataloader = dict(
    batch_size=6,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(holdout=dict(fraction=0.2, seed=42, part='train'), pipeline=train_pipeline))
# The authors validate and test on the same 20 % hold-out.
val_dataloader = dict(
    dataset=dict(holdout=dict(fraction=0.2, seed=42, part='val'), pipeline=test_pipeline))
test_dataloader = val_dataloader
log_processor = dict(by_epoch=True)
default_hooks = dict(
    # The authors keep the checkpoint of the best validation delta1.
    checkpoint=dict(save_best='delta1', rule='greater'),
    visualization=dict(type='HeightVisualizationHook', max_height=60.))
custom_hooks = [
    dict(type='NormalizationCheckHook', on_mismatch='warn'),
    dict(type='SplitRecordHook'),
]
