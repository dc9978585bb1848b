# `make demo`: a tiny, randomly initialised MaRS SwinV2 (no download) fine-tuned on CPU on
# the synthetic DeepGlobe-layout tiles that tools/misc/demo.py writes; 1 process x 8 images.
_base_ = ['./mars-base_upernet_8xb2-80k_deepglobe-512x512.py']
data_root = 'data/demo_deepglobe'
crop_size = (128, 128)
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(arch='tiny', drop_path_rate=0.0, init_cfg=None),
    decode_head=dict(
        in_channels={{_base_.mars_archs.tiny.channels}}, channels=32, pool_scales=(1, 2, 4),
        norm_cfg=norm_cfg),
    auxiliary_head=dict(
        in_channels={{_base_.mars_archs.tiny.stride16}}, channels=16, norm_cfg=norm_cfg),
    test_cfg=dict(_delete_=True, mode='whole'))
train_pipeline = [
    dict(type='LoadRSImageFromFile'),
    dict(type='LoadDeepGlobeRoadMask'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='RandomRot90', prob=0.5),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=8, num_workers=1,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, num_workers=1, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
# Trained from scratch: a higher rate and no layer-wise decay.
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.01))
max_iters = 300
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=30),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=30, end=max_iters),
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=25),
    checkpoint=dict(interval=max_iters, save_best=None, max_keep_ckpts=1))
# Same data and initial weights every run, so the printed numbers can be compared.
randomness = dict(seed=0)
