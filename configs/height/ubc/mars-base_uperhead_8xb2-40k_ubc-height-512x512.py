# MaRS-B RGB + SAR encoders + UPerNet-style height head on UBC (DFC23 track 2):
# 8 GPUs x 2 images, 40k iterations, 512x512 tiles; MAE / RMSE in metres over all pixels.
_base_ = [
    '../../_base_/models/mars_multimodal_height_uperhead.py',
    '../../_base_/datasets/ubc_height.py', '../../_base_/default_runtime.py',
    '../../_base_/schedules/schedule_40k.py'
]
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
