# `make demo`: tiny, randomly initialised MaRS RGB + SAR encoders (no download) trained on
# the CPU on the synthetic EarthMiss-layout tiles tools/misc/demo.py writes (some classes
# visible mostly in RGB, others mostly in SAR); 1 process x 8 images.
_base_ = ['./mars-base_upernet_8xb2-40k_earthmiss-512x512.py']
data_root = 'data/demo_earthmiss'
crop_size = (128, 128)
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    data_preprocessor=dict(
        size=crop_size,
        # The synthetic tiles' own statistics would do as well; MaRS's are fine here.
        modalities=_base_.mars_norm),
    backbone=dict(
        arch='tiny',
        drop_path_rate=0.0,
        modalities=dict(rgb=dict(init_cfg=None), sar=dict(init_cfg=None)),
        modality_dropout=dict(rgb=0.2, sar=0.2)),
    decode_head=dict(
        in_channels={{_base_.mars_archs.tiny.channels}}, channels=32, pool_scales=(1, 2, 4),
        norm_cfg=norm_cfg),
    auxiliary_head=dict(
        in_channels={{_base_.mars_archs.tiny.stride16}}, channels=16, norm_cfg=norm_cfg))
train_pipeline = [
    dict(type='LoadMultiModalImages', modalities=('rgb', 'sar'), channels=dict(rgb=3, sar=1)),
    dict(type='LoadRSAnnotations'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandomFlip', prob=0.5, direction='vertical'),
    dict(type='RandomRot90', prob=0.5),
    dict(type='PackMultiModalSegInputs'),
]
train_dataloader = dict(
    batch_size=8, num_workers=1,
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(batch_size=1, num_workers=1, dataset=dict(data_root=data_root))
test_dataloader = dict(batch_size=1, num_workers=1, dataset=dict(data_root=data_root))
# Trained from scratch: a higher rate and no layer-wise decay.
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, betas=(0.9, 0.999), weight_decay=0.01))
max_iters = 500
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
