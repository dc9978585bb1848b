# UBC (DFC23 track 2) building height: {train,val,test}/{rgb,sar,height}/<id>.tif, 512x512,
# height float32 metres (0 = ground). The release labels only `train`: validation is a
# seeded 80/20 holdout of it (SplitRecordHook writes the ids to the work dir).
dataset_type = 'UBCHeightDataset'
data_root = 'data/UBC'
modalities = ('rgb', 'sar')
load_pipeline = [
    dict(type='LoadMultiModalImages', modalities=modalities, channels=dict(rgb=3, sar=1)),
    dict(type='LoadHeightAnnotation'),
]
train_pipeline = load_pipeline + [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='RandomRot90', prob=0.5),
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
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 holdout=dict(fraction=0.2, seed=0, part='train'), pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='val',
                 holdout=dict(fraction=0.2, seed=0, part='val'), pipeline=test_pipeline))
# DFC23 track 2 test (heights withheld): test_dataloader.dataset.split=test, holdout=None,
# with_labels=False and tools/test.py --out DIR write DIR/height/<id>.tif instead of
# metrics (see configs/height/ubc/README.md).
test_dataloader = val_dataloader
# Errors accumulated over every pixel of the split (metres), all pixels and buildings.
val_evaluator = dict(type='HeightMetric')
test_evaluator = val_evaluator
