# ViT-B/16, ImageNet (timm vit_base_patch16_224, the authors' rsfm.py ViTBackbone). Created
# at 512 px; position embeddings resampled from the 14x14 release grid to each input's
# grid; the last block's stride-16 map goes through a ViTDet simple feature pyramid
# (strides 4, 8, 16, 32; feature_pyramid='last' is the authors' single map).
baseline_backbone = dict(
    _delete_=True,
    type='BaselineBackbone',
    arch='vit-b16',
    in_channels=3,
    feature_pyramid='simple',
    init_cfg=dict(
        type='Pretrained',
        checkpoint='checkpoints/baselines/vit_base_patch16_224.augreg2_in21k_ft_in1k.safetensors'))
baseline_channels = [192, 384, 768, 768]
