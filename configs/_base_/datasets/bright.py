# BRIGHT / DFC25 track 2 building damage: <split>/pre-event/<event>_<id>_pre_disaster.tif
# (optical, first 3 bands used), <split>/post-event/<event>_<id>_post_disaster.tif (SAR,
# 1 band), <split>/target/<event>_<id>_building_damage.tif (0 background, 1 intact,
# 2 damaged, 3 destroyed), 1024x1024 tiles. Dates stacked pre (3) then post (1).
dataset_type = 'BRIGHTDataset'
data_root = 'data/BRIGHT'
dates = ('pre', 'post')
crop_size = (512, 512)
load_pipeline = [
    dict(type='LoadBitemporalImages', dates=dates, channels=dict(pre=3, post=1),
         first_bands=('pre', )),
    dict(type='LoadRSAnnotations'),
]
train_pipeline = load_pipeline + [
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='RandomRot90', prob=0.5),
    # Colour jitter on the optical pre-event image only; SAR amplitudes stay as measured.
    dict(type='ModalitySliceTransform', modality='pre',
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
# DFC25 track 2 val / test without target/ (labels withheld): add `with_labels=False` to
# the dataset and give tools/test.py `--out DIR`; it writes the submission PNGs and zip
# instead of metrics (see configs/change/bright/README.md).
test_dataloader = val_dataloader
# mIoU over the 4 classes (DFC25 ranking), OA, localisation F1, damage F1 (harmonic mean
# over intact / damaged / destroyed on ground-truth building pixels), overall and per event.
# absent_classes='zero': a class absent from truth and prediction counts as IoU 0 / F1 0,
# as BRIGHT's own Evaluator counts it; 'ignore' leaves it out of the means.
val_evaluator = dict(type='DamageMetric', absent_classes='zero')
test_evaluator = val_evaluator
