# SARDet-100k: COCO json `Annotations/{train,val,test}.json`, images `JPEGImages/{split}/`
# (JPG / BMP / PNG, several sizes, SAR stored as 3 equal channels). Categories are mapped by
# name (SARDetDataset, CocoByNameMetric). 2 images per GPU.
dataset_type = 'SARDetDataset'
data_root = 'data/SARDet-100k/'
backend_args = None
img_scale = (800, 800)

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=backend_args),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
# The same pipelines for a 1-channel SAR encoder (the *-sar configs): 'grayscale' reads
# HxW, exact for the release's 3 equal channels.
sar_train_pipeline = [dict(train_pipeline[0], color_type='grayscale')] + train_pipeline[1:]
sar_test_pipeline = [dict(test_pipeline[0], color_type='grayscale')] + test_pipeline[1:]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='Annotations/train.json',
        data_prefix=dict(img='JPEGImages/train/'),
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
        ann_file='Annotations/val.json',
        data_prefix=dict(img='JPEGImages/val/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='Annotations/test.json',
        data_prefix=dict(img='JPEGImages/test/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
val_evaluator = dict(
    type='CocoByNameMetric',
    ann_file=data_root + 'Annotations/val.json',
    metric='bbox',
    backend_args=backend_args)
test_evaluator = dict(
    type='CocoByNameMetric',
    ann_file=data_root + 'Annotations/test.json',
    metric='bbox',
    backend_args=backend_args)
