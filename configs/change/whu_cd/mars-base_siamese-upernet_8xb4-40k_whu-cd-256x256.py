# MaRS-B shared Siamese encoder (RGB weights) + |f1 - f2| fusion + UPerNet on WHU-CD:
# 8 GPUs x 4 image pairs, 40k iterations, 256x256 tiles; change-class F1 / IoU.
_base_ = [
    '../../_base_/models/mars_siamese_upernet.py', '../../_base_/datasets/whu_cd.py',
    '../../_base_/default_runtime.py', '../../_base_/schedules/schedule_40k.py'
]
model = dict(data_preprocessor=dict(size=(256, 256), size_divisor=None))
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='MaRSLayerDecayOptimizerConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.9))
default_hooks = dict(
    checkpoint=dict(save_best='F1.change', rule='greater', max_keep_ckpts=2),
    # --show-dir: t1 | t2 | ground truth | prediction.
    visualization=dict(type='ChangeVisualizationHook'))
