# The MaRS-B Faster R-CNN SARDet-100k config (3-channel SAR) with the backbone swapped for
# croma-base (see the baselines table of configs/detection/sardet100k/README.md). The three
# channels are copies of one SAR band: CROMA's radar encoder with its VV filters split over
# them (the authors fed them to the optical encoder: modality='optical').
_base_ = [
    '../mars-base_faster-rcnn_fpn_8xb2-1x_sardet100k.py',
    '../../../_base_/models/baselines/croma-base.py'
]
model = dict(
    backbone=dict(_base_.baseline_backbone, modality='SAR', sar_bands=('VV', 'VV', 'VV')),
    neck=dict(in_channels=_base_.baseline_channels))
