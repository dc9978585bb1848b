# MaRS-B RGB + SAR encoders + UPerNet-style height head on UBC (DFC23 track 2):
# 8 GPUs x 2 images, 40k iterations, 512x512 tiles; MAE / RMSE in metres over all pixels.
_base_ = [
    '../../_base_/models/mars_multimodal_height_uperhead.py',
    '../../_base_/datasets/ubc_height.py', '../../_base_/default_runtime.py',
    '../../_base_/schedules/schedule_40k.py'
]
# UBC SAR is float32 linear backscatter: its own statistics (the MaRS authors' numbers,
# see README), not the Umbra uint8 ones of the base, which would make it near-constant.
# RGB is uint8 and keeps the MaRS 0-255 statistics.
model = dict(
    data_preprocessor=dict(modalities=dict(sar=dict(mean=[0.2634], std=[0.5957]))))
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='MaRSLayerDecayOptimizerConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.9))
default_hooks = dict(
    checkpoint=dict(save_best='MAE', rule='less', max_keep_ckpts=2),
    # --show-dir: input | ground truth | prediction, colour-mapped 0-60 m.
    visualization=dict(type='HeightVisualizationHook', max_height=60.))
custom_hooks = [
    dict(type='NormalizationCheckHook', on_mismatch='warn'),
    # The holdout ids of train / val go to the work dir.
    dict(type='SplitRecordHook'),
]
find_unused_parameters = True
