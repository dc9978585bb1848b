# MaRS-B RGB encoder on SARDet-100k's 3-channel SAR images (the authors' setting) +
# Cascade R-CNN + FPN: 8 GPUs x 2 images, 1x schedule (12 epochs, AdamW 1e-4, warm-up 500
# iterations, x0.1 at epochs 8 and 11), 800 px; COCO bbox mAP.
_base_ = [
    '../../_base_/models/mars_cascade-rcnn_fpn.py', '../../_base_/datasets/sardet100k.py',
    '../../_base_/schedules/schedule_1x.py', '../../_base_/default_runtime_det.py'
]
num_classes = 6
model = dict(
    roi_head=dict(bbox_head=[
        dict(
            type='Shared2FCBBoxHead',
            in_channels=256,
            fc_out_channels=1024,
            roi_feat_size=7,
            num_classes=num_classes,
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.], target_stds=stds),
            reg_class_agnostic=True,
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))
        # One head per cascade stage, with tighter box-delta statistics each time.
        for stds in ([0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1],
                     [0.033, 0.033, 0.067, 0.067])
    ]))
default_hooks = dict(
    checkpoint=dict(save_best='coco/bbox_mAP', rule='greater', max_keep_ckpts=2),
    # --show-dir: boxes drawn over the SAR image in dB (not mmcv's raw decoding).
    visualization=dict(type='MultiModalDetVisualizationHook', modality='sar'))
