# MaRS-B heterogeneous Siamese encoders (RGB weights for the optical pre-event image, SAR
# weights for the post-event SAR) + |f_pre - f_post| fusion + UPerNet on BRIGHT (DFC25
# track 2): 8 GPUs x 2 pairs, 40k iterations, 512x512 crops of the 1024x1024 tiles,
# sliding-window test; mIoU over 4 classes (ranking), OA, localisation / damage F1.
_base_ = [
    '../../_base_/models/mars_siamese_rgb-sar_upernet.py',
    '../../_base_/datasets/bright.py', '../../_base_/default_runtime.py',
    '../../_base_/schedules/schedule_40k.py'
]
crop_size = (512, 512)
model = dict(
    data_preprocessor=dict(size=crop_size, size_divisor=None),
    decode_head=dict(num_classes=4),
    auxiliary_head=dict(num_classes=4),
    test_cfg=dict(mode='slide', crop_size=crop_size, stride=(384, 384)))
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='MaRSLayerDecayOptimizerConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.9))
default_hooks = dict(
    checkpoint=dict(save_best='mIoU', rule='greater', max_keep_ckpts=2),
    # --show-dir: pre-event optical | post-event SAR (dB) | ground truth | prediction.
    visualization=dict(type='ChangeVisualizationHook', sar_dates=('post', )))
