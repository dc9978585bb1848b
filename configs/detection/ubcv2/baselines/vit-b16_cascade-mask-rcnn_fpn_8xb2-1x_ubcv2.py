# The MaRS-B RGB + SAR Cascade Mask R-CNN UBC-V2 config with the backbone swapped for
# vit-b16 (see the baselines table of configs/detection/ubcv2/README.md); heads, data and
# schedule unchanged.
_base_ = [
    '../mars-base_cascade-mask-rcnn_fpn_8xb2-1x_ubcv2.py',
    '../../../_base_/models/baselines/vit-b16.py'
]
model = dict(
    # R, G, B, SAR stacked as one 4-channel input to one encoder, as the authors'
    # ubcv2_frcnn_*.py (in_channels=4): the patch embedding / first convolution repeats the
    # RGB filters as R, G, B, R scaled by 3/4 (timm's in_chans rule, said in the log).
    backbone=dict(_base_.baseline_backbone, in_channels=4),
    neck=dict(in_channels=_base_.baseline_channels))
