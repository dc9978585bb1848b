# MaRS-Base pretraining as published: 8 GPUs x 16 pairs, 12 epochs (1 warm-up), AdamW
# (betas 0.9/0.95, wd 0.05), lr = 1e-4 x total batch / 256, cosine, bf16 AMP.
_base_ = ['../_base_/datasets/mars16m.py']
default_scope = 'mars'
custom_imports = dict(imports=['mars'], allow_failed_imports=False)

model = dict(
    type='MaRSPretrainModel',
    arch='base',
    drop_path_rate=0.1,
    # Gradient checkpointing of the Swin blocks: less memory, ~30 % more compute.
    with_cp=False,
    # The frozen teacher runs before the students (lower peak memory, same losses); False
    # runs it after them, as the authors' code does.
    teacher_first=True,
    # torch.compile of every Swin block (True or torch.compile kwargs); a trial option:
    # on a 2-core CPU it compiled for over an hour and stepped no faster.
    compile_blocks=False,
    mask_patch_size=32,
    # Frozen RGB teacher for distillation; None copies the RGB encoder's initial weights.
    teacher_checkpoint=None,
    # timm's ImageNet SwinV2-B, as the authors start (configs/pretrain/README.md: how to
    # get it); 'random' starts from random weights.
    start_weights='checkpoints/swinv2_base_window8_256.pth',
    # The MaRS authors' method; configs/pretrain/README.md lists each switch and its origin.
    shared_mask=True,
    final_norm=True,
    distill_after_mma=True,
    cgcl_after_mma=True,
    teacher_input='masked',
    teacher_train_mode=False,  # True: the authors' bug (drop path in the frozen teacher)
    mma=dict(num_rounds=2, num_heads=8, block='authors', shared_intra=True),
    loss_rec_rgb=dict(type='MaskedL1Loss', loss_weight=1.0),
    loss_rec_sar=dict(type='MaskedL1Loss', loss_weight=1.0),
    # cosine_dim='token': the authors' bug (cosine across tokens).
    loss_distill=dict(type='TokenDistillationLoss', loss_weight=1.0, cosine_dim='channel'),
    loss_cgcl=dict(
        type='CrossGranularityContrastiveLoss',
        loss_weight=1.0,
        weights=(0.5, 0.3, 0.2),  # patch-to-patch, image-to-image, patch-to-global
        temperatures=(0.1, 0.05, 0.07),
        p2p_negatives='batch',
        renormalize_global=False,
        authors_p2g_targets=False,  # True: the authors' bug (every target is image 0)
        drop_first_token=False),  # True: the authors' bug (a patch dropped as class token)
    data_preprocessor=dict(
        type='MaRSPretrainDataPreProcessor',
        rgb_mean=[87.01, 91.52, 83.51],
        rgb_std=[62.66, 54.58, 53.11]))

train_dataloader = dict(batch_size=16)
total_batch = 8 * 16
optim_wrapper = dict(
    # bf16 autocast needs a GPU; CPU runs use type='OptimWrapper' (see the tiny config).
    type='AmpOptimWrapper',
    dtype='bfloat16',
    # fused=True: torch's one-kernel AdamW (CPU and CUDA), the same update as the default
    # for-loop AdamW, several times faster on CPU (docs/benchmarks.md).
    optimizer=dict(type='AdamW', lr=1e-4 * total_batch / 256, betas=(0.9, 0.95),
                   weight_decay=0.05, fused=True),
    # No weight decay on norms, biases, mask tokens and SwinV2 logit scales.
    paramwise_cfg=dict(
        norm_decay_mult=0.0,
        bias_decay_mult=0.0,
        custom_keys={
            'mask_token': dict(decay_mult=0.0),
            'logit_scale': dict(decay_mult=0.0)
        }))
# --auto-scale-lr rescales lr for another number of GPUs or batch size.
auto_scale_lr = dict(enable=False, base_batch_size=total_batch)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=11, eta_min=0.0, by_epoch=True, begin=1, end=12,
         convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'))
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # On machines without a GPU the tools switch this to 'gloo' (mars.utils.dist_env).
    dist_cfg=dict(backend='nccl'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
