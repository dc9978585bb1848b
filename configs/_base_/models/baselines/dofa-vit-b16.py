# DOFA ViT-B/16 (DOFABackbone: wavelength-conditioned dynamic patch embedding + ViT).
# wavelengths (micrometres, one per input channel): DOFA's RGB values; 1-channel SAR
# defaults to DOFA's Sentinel-1 value 5.405. Position embeddings resampled from the 14x14
# release grid to each input's grid; ViTDet simple feature pyramid on the last block
# (strides 4, 8, 16, 32; feature_pyramid='last' is the authors' single map).
baseline_backbone = dict(
    _delete_=True,
    type='DOFABackbone',
    arch='dofa-vit-b16',
    in_channels=3,
    wavelengths=[0.665, 0.56, 0.49],
    feature_pyramid='simple',
    init_cfg=dict(
        type='Pretrained', checkpoint='checkpoints/baselines/DOFA_ViT_base_e100.pth'))
baseline_channels = [192, 384, 768, 768]
