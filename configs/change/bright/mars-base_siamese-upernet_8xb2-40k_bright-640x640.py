# The 512 recipe with 640x640 crops and test windows (more context per window).
_base_ = ['./mars-base_siamese-upernet_8xb2-40k_bright-512x512.py']
crop_size = (640, 640)
train_pipeline = [
    dict(type='LoadBitemporalImages', dates=('pre', 'post'), channels=dict(pre=3, post=1),
         first_bands=('pre', )),
    dict(type='LoadRSAnnotations'),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='RandomRot90', prob=0.5),
    dict(type='ModalitySliceTransform', modality='pre',
         transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='PackMultiModalSegInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(
    data_preprocessor=dict(size=crop_size),
    test_cfg=dict(crop_size=crop_size, stride=(448, 448)))
