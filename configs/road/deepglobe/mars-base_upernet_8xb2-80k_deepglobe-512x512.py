# MaRS-B (RGB encoder) + UPerNet on DeepGlobe roads: 512 crops of the 1024 tiles,
# 8 GPUs x 2 images, 80k iterations, sliding-window test.
_base_ = [
    '../../_base_/models/mars_upernet.py', '../../_base_/datasets/deepglobe.py',
    '../../_base_/default_runtime.py', '../../_base_/schedules/schedule_80k.py'
]
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size, size_divisor=None),
    decode_head=dict(num_classes=2),
    auxiliary_head=dict(num_classes=2),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(341, 341)))
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='MaRSLayerDecayOptimizerConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.9))
default_hooks = dict(
    checkpoint=dict(save_best='IoU.road', rule='greater', max_keep_ckpts=2))
