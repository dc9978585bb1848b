# The BRIGHT recipe shrunk for CPU tests: tiny RGB / SAR encoders without weights, BN,
# 64x64 crops of 96x96 fixture tiles, 2 iterations, sliding-window test (4 windows a tile).
_base_ = ['../../../configs/change/bright/mars-base_siamese-upernet_8xb2-40k_bright-512x512.py']
norm_cfg = dict(type='BN', requires_grad=True)
crop_size = (64, 64)
train_pipeline = [
    dict(type='LoadBitemporalImages', dates=('pre', 'post'), channels=dict(pre=3, post=1),
         first_bands=('pre', )),
    dict(type='LoadRSAnnotations'),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomRot90', prob=0.5),
    dict(type='ModalitySliceTransform', modality='pre',
         transforms=[dict(type='PhotoMetricDistortion')]),
    dict(type='PackMultiModalSegInputs'),
]
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        arch='tiny', drop_path_rate=0.0,
        dates=dict(pre=dict(init_cfg=None), post=dict(init_cfg=None))),
    decode_head=dict(
        in_channels={{_base_.mars_archs.tiny.channels}}, channels=16, pool_scales=(1, 2),
        norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels={{_base_.mars_archs.tiny.stride16}}, channels=16,
                        norm_cfg=norm_cfg),
    test_cfg=dict(crop_size=crop_size, stride=(32, 32)))
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader
train_cfg = dict(max_iters=2, val_interval=2)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2))
randomness = dict(seed=0)
