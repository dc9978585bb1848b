# EarthMiss: co-registered RGB + SAR land cover, 8 classes, split by city
# (<City>/images/RGB/<name>, <City>/images/SAR/<name>_SAR, <City>/masks/<name>_mask).
dataset_type = 'EarthMissDataset'
data_root = 'data/EarthMiss'
modalities = ('rgb', 'sar')
crop_size = (512, 512)
load_pipeline = [
    dict(type='LoadMultiModalImages', modalities=modalities, channels=dict(rgb=3, sar=1)),
    dict(type='LoadRSAnnotations'),
]
train_pipeline = load_pipeline + [
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='RandomRot90', prob=0.5),
    # Colour jitter on the optical channels only; SAR amplitudes are left as measured.
    dict(type='ModalitySliceTransform', modality='rgb',
         transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='PackMultiModalSegInputs'),
]
test_pipeline = load_pipeline + [dict(type='PackMultiModalSegInputs')]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='val', pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', pipeline=test_pipeline))
val_evaluator = dict(type='SegConfusionMetric')
test_evaluator = val_evaluator
