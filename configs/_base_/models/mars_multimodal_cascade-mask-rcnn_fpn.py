# MaRS-B RGB + SAR encoders (own weights each), fused per stage, + mmdet's Cascade Mask
# R-CNN with FPN. Inputs stack R, G, B, SAR on the channel axis (float32, file order).
_base_ = ['mmdet::_base_/models/cascade-mask-rcnn_r50_fpn.py', './mars_archs.py']
model = dict(
    # Hands each sample's modality_mask to the backbone (all present unless one is missing).
    type='MultiModalCascadeRCNN',
    data_preprocessor=dict(
        _delete_=True,
        type='MultiModalDetDataPreProcessor',
        # MaRS pretraining statistics (0-255): RGB, and Umbra SAR (uint8).
        modalities=_base_.mars_norm,
        pad_size_divisor=32,
        pad_mask=True),
    backbone=dict(
        _delete_=True,
        type='MaRSMultiModalBackbone',
        arch='base',
        modalities=dict(
            rgb=dict(in_channels=3, init_cfg=dict(
                type='Pretrained', checkpoint='checkpoints/mars_base_rgb_encoder_only.pth')),
            sar=dict(in_channels=1, init_cfg=dict(
                type='Pretrained', checkpoint='checkpoints/mars_base_sar_encoder_only.pth'))),
        # Sum of the modalities' features per stage: the MaRS authors' choice.
        fusion='sum',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.2),
    neck=dict(in_channels={{_base_.mars_archs.base.channels}}))
