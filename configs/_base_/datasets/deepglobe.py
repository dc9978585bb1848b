# DeepGlobe road extraction: 1024x1024 RGB tiles `<id>_sat.jpg` with `<id>_mask.png`
# (road where >= 128) in the release's labelled `train/` folder, split by id lists into
# 4,696 train / 1,530 test tiles (train.txt / test.txt beside it).
dataset_type = 'DeepGlobeRoadDataset'
data_root = 'data/deepglobe'
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadRSImageFromFile'),
    dict(type='LoadDeepGlobeRoadMask'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='RandomRot90', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadRSImageFromFile'),
    dict(type='LoadDeepGlobeRoadMask'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='train'),
        ann_file='train.txt',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix=dict(img_path='train'),
        ann_file='test.txt',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# Road-class IoU / precision / recall / F1 reported by name, besides the class means.
val_evaluator = dict(type='SegConfusionMetric', report_classes=['road'])
test_evaluator = val_evaluator
