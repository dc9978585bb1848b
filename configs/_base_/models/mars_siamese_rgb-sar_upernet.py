# MaRS heterogeneous Siamese change detector (optical pre-event, SAR post-event): the RGB
# encoder with the RGB weights encodes the pre-event image, the SAR encoder with the SAR
# weights the post-event SAR; |f_pre - f_post| per stage, then UPerNet + FCN auxiliary.
# Inputs: pre RGB channels 0-2, post SAR channel 3.
_base_ = ['./mars_siamese_upernet.py']
model = dict(
    data_preprocessor=dict(
        # MaRS pretraining statistics (0-255): RGB, and Umbra SAR (uint8).
        modalities=dict(
            _delete_=True,
            pre=_base_.mars_norm.rgb,
            post=_base_.mars_norm.sar)),
    backbone=dict(
        dates=dict(
            _delete_=True,
            pre=dict(in_channels=3, modality='rgb', init_cfg=dict(
                type='Pretrained', checkpoint='checkpoints/mars_base_rgb_encoder_only.pth')),
            post=dict(in_channels=1, modality='sar', init_cfg=dict(
                type='Pretrained', checkpoint='checkpoints/mars_base_sar_encoder_only.pth'))),
        shared_encoder=False))
