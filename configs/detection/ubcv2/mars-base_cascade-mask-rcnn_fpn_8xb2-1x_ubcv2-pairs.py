# Reads the `{split}/rgb/` + `{split}/sar/` pairs instead of the 4-band merge files (same
# stack: R, G, B, SAR); otherwise as the config it inherits.
_base_ = ['./mars-base_cascade-mask-rcnn_fpn_8xb2-1x_ubcv2.py']
load_pairs = dict(type='LoadMultiModalImages', modalities=('rgb', 'sar'),
                  channels=dict(rgb=3, sar=1))
train_pipeline = [load_pairs, *_base_.train_pipeline[1:]]
test_pipeline = [load_pairs, *_base_.test_pipeline[1:]]
train_dataloader = dict(dataset=dict(
    paired_modalities=('rgb', 'sar'),
    data_prefix=dict(img='train/rgb/', rgb='train/rgb/', sar='train/sar/'),
    pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(
    paired_modalities=('rgb', 'sar'),
    data_prefix=dict(img='val/rgb/', rgb='val/rgb/', sar='val/sar/'),
    pipeline=test_pipeline))
test_dataloader = val_dataloader
