# mmdet 1x: 12 epochs, linear warm-up over 500 iterations, x0.1 at epochs 8 and 11.
# AdamW instead of mmdet's SGD, as for transformer backbones; 8 GPUs x 2 images assumed.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=12,
        by_epoch=True,
        milestones=[8, 11],
        gamma=0.1)
]

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05))

# Set `enable` (or pass --auto-scale-lr) to scale the learning rate with the real batch size.
auto_scale_lr = dict(enable=False, base_batch_size=16)
