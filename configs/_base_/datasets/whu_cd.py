# WHU-CD building change detection: {train,val,test}/{A,B,label}/<name>.png, 256x256 RGB
# pairs (A 2012, B 2016), label 0 unchanged / 255 changed (loaded as 0/1). The dates are
# stacked t1 (A) then t2 (B); flips and rotations move both dates and the label together,
# colour jitter is drawn independently per date.
dataset_type = 'WHUCDDataset'
data_root = 'data/WHU-CD'
dates = ('t1', 't2')
load_pipeline = [
    dict(type='LoadBitemporalImages', dates=dates, channels=dict(t1=3, t2=3)),
    # Binary 0/255 masks: values >= 128 are change (1).
    dict(type='LoadDeepGlobeRoadMask', threshold=128),
]
train_pipeline = load_pipeline + [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='RandomRot90', prob=0.5),
    dict(type='ModalitySliceTransform', modality='t1',
         transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='ModalitySliceTransform', modality='t2',
         transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='PackMultiModalSegInputs'),
]
test_pipeline = load_pipeline + [dict(type='PackMultiModalSegInputs')]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
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
# Change-class precision / recall / F1 / IoU (plus OA = aAcc and kappa) from one confusion
# matrix over the whole split, gathered across processes.
val_evaluator = dict(type='SegConfusionMetric', report_classes=['change'])
test_evaluator = val_evaluator
