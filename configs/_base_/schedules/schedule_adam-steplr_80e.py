# The MaRS authors' downstream schedule (WanderRainy/MaRS 5da1a5a,
# downtasks/terratorch/train_{height,road,change}.py): Adam, lr 1e-4, no weight decay, no
# warm-up; StepLR halving the rate every max_epochs // 4 epochs (stepped at epoch ends);
# validation after every epoch. 80 epochs (roads, height); WHU-CD restates it for 100.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4))
param_scheduler = [
    dict(type='StepLR', step_size=20, gamma=0.5, by_epoch=True, begin=0, end=80),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=80, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=True),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=1, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
# Configs using this file set log_processor=dict(by_epoch=True) and
# train_dataloader.sampler=dict(type='DefaultSampler', shuffle=True) themselves (epoch loops
# need a finite sampler; default_runtime.py and the dataset files, also bases, define
# those keys for iteration loops, and bases may not define the same key).
