# 20k iterations: schedule_80k.py with the decay, validation and checkpoints rescaled.
_base_ = './schedule_80k.py'

# Lists are replaced, not merged, so the warm-up is restated.
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0, end=1500),
    dict(type='PolyLR', power=1.0, eta_min=0.0, by_epoch=False, begin=1500, end=20000),
]
train_cfg = dict(max_iters=20000, val_interval=2000)
default_hooks = dict(checkpoint=dict(interval=2000))
