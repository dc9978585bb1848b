# MaRS-B RGB encoder on SARDet-100k's 3-channel SAR images + Faster R-CNN + FPN: 8 GPUs x 2
# images, 1x schedule, 800 px; COCO bbox mAP.
_base_ = [
    '../../_base_/models/mars_faster-rcnn_fpn.py', '../../_base_/datasets/sardet100k.py',
    '../../_base_/schedules/schedule_1x.py', '../../_base_/default_runtime_det.py'
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=6)))
default_hooks = dict(
    checkpoint=dict(save_best='coco/bbox_mAP', rule='greater', max_keep_ckpts=2),
    visualization=dict(type='MultiModalDetVisualizationHook', modality='sar'))
