# The MaRS-B Siamese UPerNet WHU-CD config with the backbone swapped for
# swinv2-b (see the baselines table of configs/change/whu_cd/README.md); heads, data and
# schedule unchanged.
_base_ = [
    '../mars-base_siamese-upernet_8xb4-40k_whu-cd-256x256.py',
    '../../../_base_/models/baselines/swinv2-b.py'
]
model = dict(
    backbone=dict(
        encoder=dict(type='BaselineBackbone', arch=_base_.baseline_backbone.arch),
        # One shared encoder for both RGB dates (the MaRS-only `modality` key dropped).
        dates=dict(
            _delete_=True,
            t1=dict(in_channels=3, init_cfg=_base_.baseline_backbone.init_cfg),
            t2=dict(in_channels=3, init_cfg=_base_.baseline_backbone.init_cfg))),
    decode_head=dict(in_channels=_base_.baseline_channels),
    auxiliary_head=dict(in_channels=_base_.baseline_channels[2]))
# MaRSLayerDecayOptimizerConstructor reads MaRS (SwinV2) layer names: plain AdamW instead.
optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05))
