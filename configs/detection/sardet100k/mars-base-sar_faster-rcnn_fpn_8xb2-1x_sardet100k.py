# The MaRS-B *SAR* encoder (SAR weights) on 1-channel SAR: SARDet-100k's 3 equal channels
# read as one grey band, normalised with the MaRS SAR (Umbra, uint8) statistics.
# Otherwise as the RGB-encoder config it inherits.
_base_ = ['./mars-base_faster-rcnn_fpn_8xb2-1x_sardet100k.py']
model = dict(
    data_preprocessor=dict(
        mean=_base_.mars_norm.sar.mean, std=_base_.mars_norm.sar.std, bgr_to_rgb=False),
    backbone=dict(
        in_channels=1,
        modality='sar',
        init_cfg=dict(checkpoint='checkpoints/mars_base_sar_encoder_only.pth')))
train_dataloader = dict(dataset=dict(pipeline=_base_.sar_train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=_base_.sar_test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=_base_.sar_test_pipeline))
