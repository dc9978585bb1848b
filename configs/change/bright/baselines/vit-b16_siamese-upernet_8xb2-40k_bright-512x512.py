# The MaRS-B heterogeneous Siamese UPerNet BRIGHT config with the backbone swapped for
# vit-b16 (see the baselines table of configs/change/bright/README.md); heads, data and
# schedule unchanged.
_base_ = [
    '../mars-base_siamese-upernet_8xb2-40k_bright-512x512.py',
    '../../../_base_/models/baselines/vit-b16.py'
]
model = dict(
    backbone=dict(
        encoder=dict(type='BaselineBackbone', arch=_base_.baseline_backbone.arch),
        # One encoder per date, both from the released weights: optical pre-event (3
        # channels), SAR post-event (1 channel: the RGB filters summed); `modality` dropped.
        dates=dict(
            _delete_=True,
            pre=dict(in_channels=3, init_cfg=_base_.baseline_backbone.init_cfg),
            post=dict(in_channels=1, init_cfg=_base_.baseline_backbone.init_cfg))),
    decode_head=dict(in_channels=_base_.baseline_channels),
    auxiliary_head=dict(in_channels=_base_.baseline_channels[2]))
# MaRSLayerDecayOptimizerConstructor reads MaRS (SwinV2) layer names: plain AdamW instead.
optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05))
