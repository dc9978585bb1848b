# SatMAE ViT-L/16, fMoW RGB pretraining (MAE checkpoint {'model': ...}: timm ViT encoder
# keys, MAE decoder dropped). As ViT-B/16: created at 512 px, position embeddings resampled
# to each input, ViTDet simple feature pyramid (feature_pyramid='last': the authors' map).
baseline_backbone = dict(
    _delete_=True,
    type='BaselineBackbone',
    arch='satmae-vit-l16',
    in_channels=3,
    feature_pyramid='simple',
    checkpoint_format='satmae',
    init_cfg=dict(
        type='Pretrained',
        checkpoint='checkpoints/baselines/checkpoint_ViT-L_pretrain_fmow_rgb.pth'))
baseline_channels = [256, 512, 1024, 1024]
