# UBC-V2 (DFC23 track 1) building instances: 4-band `{split}/merge/<id>.tif` (R, G, B, SAR),
# COCO json with polygon masks. The benchmark's single `building` class reads
# `annotations/roof_single_{split}.json`, written from the fine json by
# tools/dataset_converters/ubcv2_single_category.py. The release labels train and val;
# val is also the test split. 2 images per GPU.
dataset_type = 'UBCV2Dataset'
data_root = 'data/UBC-V2/'
backend_args = None
img_scale = (512, 512)
modality_meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                      'flip', 'flip_direction', 'modalities', 'modality_channels',
                      'modality_mask', 'modality_paths')
load_merged = dict(
    type='LoadMergedModalities', modalities=('rgb', 'sar'), channels=dict(rgb=3, sar=1),
    backend_args=backend_args)

train_pipeline = [
    load_merged,
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    # Overhead views have no up: vertical flips are as valid as horizontal ones.
    dict(type='RandomFlip', prob=0.5, direction=['horizontal', 'vertical']),
    dict(type='PackDetInputs', meta_keys=modality_meta_keys),
]
test_pipeline = [
    load_merged,
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs', meta_keys=modality_meta_keys),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/roof_single_train.json',
        data_prefix=dict(img='train/merge/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/roof_single_val.json',
        data_prefix=dict(img='val/merge/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='CocoByNameMetric',
    ann_file=data_root + 'annotations/roof_single_val.json',
    metric=['bbox', 'segm'],
    backend_args=backend_args)
test_evaluator = val_evaluator
