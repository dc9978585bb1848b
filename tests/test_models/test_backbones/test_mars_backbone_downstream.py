"""The same MaRSBackbone config works inside mmseg and mmdet models."""
import torch
from mmdet.registry import MODELS as DET_MODELS
from mmdet.structures import DetDataSample
from mmengine.config import ConfigDict
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData, PixelData
from mmseg.registry import MODELS as SEG_MODELS
from mmseg.structures import SegDataSample

from mars.models.backbones.mars_backbone import arch_channels

BACKBONE = dict(type='MaRSBackbone', arch='tiny', drop_path_rate=0.)


def test_backbone_in_mmdet_two_stage_detector_runs_a_loss_step():
    init_default_scope('mmdet')
    detector = DET_MODELS.build(ConfigDict(
        type='FasterRCNN',
        data_preprocessor=dict(type='DetDataPreprocessor', mean=[0.] * 3, std=[1.] * 3,
                               pad_size_divisor=32),
        backbone=BACKBONE,
        neck=dict(type='FPN', in_channels=arch_channels('tiny'), out_channels=32, num_outs=5),
        rpn_head=dict(
            type='RPNHead', in_channels=32, feat_channels=32,
            anchor_generator=dict(type='AnchorGenerator', scales=[8], ratios=[0.5, 1.0, 2.0],
                                  strides=[4, 8, 16, 32, 64]),
            bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.] * 4,
                            target_stds=[1.0] * 4),
            loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
        roi_head=dict(
            type='StandardRoIHead',
            bbox_roi_extractor=dict(
                type='SingleRoIExtractor',
                roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
                out_channels=32, featmap_strides=[4, 8, 16, 32]),
            bbox_head=dict(
                type='Shared2FCBBoxHead', in_channels=32, fc_out_channels=64,
                roi_feat_size=7, num_classes=2,
                bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0.] * 4,
                                target_stds=[0.1, 0.1, 0.2, 0.2]),
                loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                loss_bbox=dict(type='L1Loss', loss_weight=1.0))),
        train_cfg=dict(
            rpn=dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3,
                                   min_pos_iou=0.3, ignore_iof_thr=-1),
                     sampler=dict(type='RandomSampler', num=64, pos_fraction=0.5,
                                  neg_pos_ub=-1, add_gt_as_proposals=False),
                     allowed_border=-1, pos_weight=-1, debug=False),
            rpn_proposal=dict(nms_pre=200, max_per_img=100,
                              nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
            rcnn=dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5,
                                    min_pos_iou=0.5, ignore_iof_thr=-1),
                      sampler=dict(type='RandomSampler', num=64, pos_fraction=0.25,
                                   neg_pos_ub=-1, add_gt_as_proposals=True),
                      pos_weight=-1, debug=False)),
        test_cfg=dict(
            rpn=dict(nms_pre=200, max_per_img=100, nms=dict(type='nms', iou_threshold=0.7),
                     min_bbox_size=0),
            rcnn=dict(score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5),
                      max_per_img=50))))

    sample = DetDataSample(metainfo=dict(img_shape=(128, 128), pad_shape=(128, 128)))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[10., 20., 60., 90.]]), labels=torch.tensor([1]))
    data = detector.data_preprocessor(
        dict(inputs=[torch.randint(0, 255, (3, 128, 128), dtype=torch.uint8)],
             data_samples=[sample]), training=True)
    losses = detector(**data, mode='loss')
    total = sum(v.sum() if isinstance(v, torch.Tensor) else sum(v) for v in losses.values())
    assert torch.isfinite(total)
    total.backward()
    assert detector.backbone.encoder.patch_embed.proj.weight.grad.abs().sum() > 0


def test_backbone_in_mmseg_encoder_decoder_runs_a_loss_step():
    init_default_scope('mmseg')
    segmentor = SEG_MODELS.build(dict(
        type='EncoderDecoder',
        data_preprocessor=dict(type='SegDataPreProcessor', mean=[0.] * 3, std=[1.] * 3,
                               size_divisor=32),
        backbone=BACKBONE,
        decode_head=dict(type='UPerHead', in_channels=arch_channels('tiny'),
                         in_index=[0, 1, 2, 3], channels=16, pool_scales=(1, 2),
                         num_classes=2, norm_cfg=dict(type='BN', requires_grad=True),
                         loss_decode=dict(type='CrossEntropyLoss', loss_weight=1.0))))
    samples = []
    for _ in range(2):  # BatchNorm after the 1x1 pooling branch needs two images
        sample = SegDataSample(metainfo=dict(img_shape=(96, 96), pad_shape=(96, 96)))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 2, (1, 96, 96)))
        samples.append(sample)
    data = segmentor.data_preprocessor(
        dict(inputs=[torch.rand(3, 96, 96) * 255] * 2, data_samples=samples), training=True)
    losses = segmentor(**data, mode='loss')
    losses['decode.loss_ce'].backward()
    assert torch.isfinite(losses['decode.loss_ce'])
    assert segmentor.backbone.encoder.layers_3.blocks[0].mlp.fc1.weight.grad is not None
