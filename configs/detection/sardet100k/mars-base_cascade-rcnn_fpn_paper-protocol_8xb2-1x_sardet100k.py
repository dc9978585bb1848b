# The MaRS authors' SARDet-100k protocol (repository WanderRainy/MaRS, commit 5da1a5a,
# downtasks/mmdetection/configs/sardet/frcnn_mars.py: a "frcnn" file that inherits mmdet's
# Cascade R-CNN base) with the SARDet-100k reference data settings it inherits
# (zcablii/SARDet_100K, MSFA/configs/_base_/datasets/SARDet_100k.py):
# - MaRS-B RGB encoder on the 3-channel SAR images, Cascade R-CNN + FPN;
# - mmdet's ImageNet statistics (0-255, BGR files -> RGB): the authors keep the base's;
# - 800x800 resize *without* keeping the aspect ratio; training images whose shorter side
#   is under 16 px dropped (mmdet's `filter_cfg.min_size` filters images, not boxes);
# - AdamW lr 1e-4, weight decay 0.05, mmdet 1x (12 epochs, warm-up 500 iterations, x0.1 at
#   epochs 8 and 11), 2 images per GPU; the drop-path rate is timm's default (0.1).
# Where the authors' file is inconsistent it lists the large arch's FPN input channels
# ([192, 384, 768, 1536]) on a base encoder (swinv2_base_window8_256: 128-1024 channels),
# which cannot run; the FPN reads the base encoder's channels here. See README.
_base_ = ['./mars-base_cascade-rcnn_fpn_8xb2-1x_sardet100k.py']
model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(drop_path_rate=0.1),
    neck=dict(in_channels={{_base_.mars_archs.base.channels}}))
img_scale = (800, 800)
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='Resize', scale=img_scale, keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    dataset=dict(pipeline=train_pipeline, filter_cfg=dict(filter_empty_gt=True, min_size=16)))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
# The reference reports per-class AP on the test split.
test_evaluator = dict(classwise=True)
