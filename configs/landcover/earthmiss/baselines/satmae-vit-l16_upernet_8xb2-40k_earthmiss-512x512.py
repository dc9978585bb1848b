# The MaRS-B RGB + SAR UPerNet EarthMiss config with the backbone swapped for
# satmae-vit-l16 (see the baselines table of configs/landcover/earthmiss/README.md); heads, data and
# schedule unchanged.
_base_ = [
    '../mars-base_upernet_8xb2-40k_earthmiss-512x512.py',
    '../../../_base_/models/baselines/satmae-vit-l16.py'
]
model = dict(
    backbone=dict(
        # One baseline encoder per modality (RGB 3 channels, SAR 1: the RGB filters summed),
        # each from the released weights, summed per stage as the MaRS encoders.
        encoder=dict(type='BaselineBackbone', arch=_base_.baseline_backbone.arch),
        modalities=dict(
            rgb=dict(init_cfg=_base_.baseline_backbone.init_cfg),
            sar=dict(init_cfg=_base_.baseline_backbone.init_cfg))),
    decode_head=dict(in_channels=_base_.baseline_channels),
    auxiliary_head=dict(in_channels=_base_.baseline_channels[2]))
# MaRSLayerDecayOptimizerConstructor reads MaRS (SwinV2) layer names: plain AdamW instead.
optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05))
