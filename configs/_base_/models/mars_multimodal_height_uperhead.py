# MaRS RGB + SAR encoders (sum fusion) + an UPerNet-style regression head: one output
# channel in metres, L1 loss masked where the label is invalid (NaN / nodata).
_base_ = ['./mars_multimodal_upernet.py']
model = dict(
    type='MultiModalHeightEstimator',
    decode_head=dict(
        _delete_=True,
        type='HeightUPerHead',
        in_channels={{_base_.mars_archs.base.channels}},
        in_index=[0, 1, 2, 3],
        pool_scales=(1, 2, 3, 6),
        channels=512,
        dropout_ratio=0.1,
        norm_cfg={{_base_.norm_cfg}},
        align_corners=False,
        # The network regresses height x 0.1 (tens of metres ~ unit scale); predictions
        # and metrics are always in metres. Heights are non-negative.
        target_scale=0.1,
        output_activation='softplus',
        loss_decode=dict(type='HeightL1Loss')),  # or dict(type='HeightSiLogLoss')
    auxiliary_head=None)
