# The MaRS-B UPerNet DeepGlobe config with the backbone swapped for dofa-vit-b16 (see the
# baselines table of configs/road/deepglobe/README.md); heads, data and schedule unchanged.
_base_ = [
    '../mars-base_upernet_8xb2-80k_deepglobe-512x512.py',
    '../../../_base_/models/baselines/dofa-vit-b16.py'
]
model = dict(
    backbone=_base_.baseline_backbone,
    decode_head=dict(in_channels=_base_.baseline_channels),
    auxiliary_head=dict(in_channels=_base_.baseline_channels[2]))
# MaRSLayerDecayOptimizerConstructor reads MaRS (SwinV2) layer names: plain AdamW instead.
optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05))
