# Light decoder variant: 1x1 projections, top-down sum to stride 4, two 3x3 convs.
_base_ = ['./mars-base_uperhead_8xb2-40k_ubc-height-512x512.py']
model = dict(
    decode_head=dict(
        _delete_=True,
        type='HeightLightHead',
        in_channels={{_base_.mars_archs.base.channels}},
        in_index=[0, 1, 2, 3],
        channels=256,
        num_convs=2,
        norm_cfg={{_base_.norm_cfg}},
        align_corners=False,
        target_scale=0.1,
        output_activation='softplus',
        loss_decode=dict(type='HeightL1Loss')))
