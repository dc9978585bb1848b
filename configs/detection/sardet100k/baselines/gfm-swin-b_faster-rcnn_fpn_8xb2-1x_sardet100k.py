# The MaRS-B Faster R-CNN SARDet-100k config (3-channel SAR) with the backbone swapped for
# gfm-swin-b (see the baselines table of configs/detection/sardet100k/README.md).
_base_ = [
    '../mars-base_faster-rcnn_fpn_8xb2-1x_sardet100k.py',
    '../../../_base_/models/baselines/gfm-swin-b.py'
]
model = dict(backbone=_base_.baseline_backbone, neck=dict(in_channels=_base_.baseline_channels))
