# A few-second CPU run of the whole pretraining (tests, smoke checks): tiny SwinV2, 64x64
# crops, 2 pairs per process, 2 epochs, fp32 (bf16 AMP needs a GPU).
_base_ = ['./mars-base_pretrain_8xb16-12e_mars16m-512x512.py']

crop_size = 64
train_pipeline = [
    dict(type='LoadMaRSPair'),
    dict(type='PairedRandomResizedCrop', size=crop_size, scale=(0.7, 1.0)),
    dict(type='PairedRandomFlip', prob=0.5),
    dict(type='MaRSMaskGenerator', input_size=crop_size, mask_patch_size=32,
         model_patch_size=4, mask_ratio=0.6),
    dict(type='PackMaRSPairInputs'),
]
model = dict(arch='tiny', start_weights='random')  # no ImageNet weights for the test arch
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    pin_memory=False,
    dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer={{_base_.optim_wrapper.optimizer}},
    paramwise_cfg={{_base_.optim_wrapper.paramwise_cfg}})
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=1, eta_min=0.0, by_epoch=True, begin=1, end=2,
         convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=2)
default_hooks = dict(logger=dict(interval=1))
randomness = dict(seed=0)
