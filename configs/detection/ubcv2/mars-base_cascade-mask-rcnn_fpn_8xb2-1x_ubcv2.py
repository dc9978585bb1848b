# MaRS-B RGB + SAR encoders (sum fusion per stage) + Cascade Mask R-CNN + FPN on UBC-V2
# (DFC23 track 1) 4-band merge tiles, one `building` class (the benchmark setting):
# 8 GPUs x 2 images, 1x schedule (12 epochs, AdamW 1e-4, warm-up 500 iterations, x0.1 at
# epochs 8 and 11), 512 px; COCO bbox and segm mAP.
_base_ = [
    '../../_base_/models/mars_multimodal_cascade-mask-rcnn_fpn.py',
    '../../_base_/datasets/ubcv2.py', '../../_base_/schedules/schedule_1x.py',
    '../../_base_/default_runtime_det.py'
]
num_classes = 1
model = dict(
    # The merge files are float32: R, G, B on 0-255 and SAR as float linear backscatter,
    # normalised with its own statistics (the MaRS authors' numbers, see README), not the
    # Umbra uint8 ones of the base, which would make it near-constant.
    data_preprocessor=dict(modalities=dict(sar=dict(mean=[0.2634], std=[0.5957]))),
    roi_head=dict(
        bbox_head=[
            dict(
                type='Shared2FCBBoxHead',
                in_channels=256,
                fc_out_channels=1024,
                roi_feat_size=7,
                num_classes=num_classes,
                bbox_coder=dict(
                    type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                    target_stds=stds),
                reg_class_agnostic=True,
                loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))
            # One head per cascade stage, with tighter box-delta statistics each time.
            for stds in ([0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1],
                         [0.033, 0.033, 0.067, 0.067])
        ],
        mask_head=dict(num_classes=num_classes)))
default_hooks = dict(
    checkpoint=dict(save_best='coco/segm_mAP', rule='greater', max_keep_ckpts=2),
    # --show-dir: instances drawn over the RGB bands of the merge file (mmcv cannot
    # decode 4-band TIFFs) and, below, over its SAR band in dB ('rgb' / 'sar': one only).
    visualization=dict(type='MultiModalDetVisualizationHook', modality='both'))
