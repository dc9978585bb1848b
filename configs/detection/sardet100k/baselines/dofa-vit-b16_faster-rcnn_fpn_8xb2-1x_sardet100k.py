# The MaRS-B Faster R-CNN SARDet-100k config (3-channel SAR) with the backbone swapped for
# dofa-vit-b16 (see the baselines table of configs/detection/sardet100k/README.md). The
# three channels are SAR: each gets DOFA's SAR wavelength 5.405 (the authors gave RGB's).
_base_ = [
    '../mars-base_faster-rcnn_fpn_8xb2-1x_sardet100k.py',
    '../../../_base_/models/baselines/dofa-vit-b16.py'
]
model = dict(
    backbone=dict(_base_.baseline_backbone, wavelengths=[5.405, 5.405, 5.405]),
    neck=dict(in_channels=_base_.baseline_channels))
