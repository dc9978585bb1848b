# MaRS-B encoder (one modality, RGB weights) + mmdet's Cascade R-CNN with FPN. The FPN
# input channels come from the arch (mars_archs.py); the large variant changes `arch`,
# the checkpoint and `neck.in_channels`.
_base_ = ['mmdet::_base_/models/cascade-rcnn_r50_fpn.py', './mars_archs.py']
model = dict(
    # MaRS RGB pretraining statistics (0-255); images are loaded BGR, as in mmdet.
    data_preprocessor=dict(
        mean=_base_.mars_norm.rgb.mean, std=_base_.mars_norm.rgb.std, bgr_to_rgb=True,
        pad_size_divisor=32),
    backbone=dict(
        _delete_=True,
        type='MaRSBackbone',
        arch='base',
        in_channels=3,
        modality='rgb',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.2,
        init_cfg=dict(
            type='Pretrained', checkpoint='checkpoints/mars_base_rgb_encoder_only.pth')),
    neck=dict(in_channels={{_base_.mars_archs.base.channels}}))
