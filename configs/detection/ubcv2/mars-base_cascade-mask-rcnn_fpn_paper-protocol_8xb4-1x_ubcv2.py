# The MaRS authors' UBC-V2 protocol (repository WanderRainy/MaRS, commit 5da1a5a,
# downtasks/mmdetection/configs/ubcv2/ubcv2_frcnn_mars.py):
# - MaRS-B RGB + SAR encoders summed per stage, Cascade Mask R-CNN + FPN, one `building`
#   class (their single-category json);
# - 4-band merge tiles (R, G, B, SAR), 512 px keeping the ratio, horizontal flips only;
# - ImageNet RGB statistics (0-255) and SAR 0.2634 +- 0.5957 (float32 SAR);
# - AdamW lr 1e-4, weight decay 0.05, mmdet 1x (12 epochs, warm-up 500 iterations, x0.1 at
#   epochs 8 and 11), 4 images per GPU, every training image with a box kept;
# - COCO bbox mAP only; the drop-path rate is timm's default (0.1).
# Where the authors' file is inconsistent it lists the large arch's FPN input channels
# ([192, 384, 768, 1536]) on base encoders, which cannot run; the FPN reads the base
# encoders' channels here. See README.
_base_ = ['./mars-base_cascade-mask-rcnn_fpn_8xb2-1x_ubcv2.py']
model = dict(
    data_preprocessor=dict(
        modalities=dict(
            rgb=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]),
            sar=dict(mean=[0.2634], std=[0.5957]))),
    backbone=dict(drop_path_rate=0.1),
    neck=dict(in_channels={{_base_.mars_archs.base.channels}}))
train_pipeline = [
    _base_.load_merged,
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=_base_.img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackDetInputs', meta_keys=_base_.modality_meta_keys),
]
train_dataloader = dict(
    batch_size=4,
    dataset=dict(pipeline=train_pipeline, filter_cfg=dict(filter_empty_gt=True, min_size=0)))
val_dataloader = dict(batch_size=4)
test_dataloader = val_dataloader
val_evaluator = dict(metric='bbox')
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='coco/bbox_mAP'))
