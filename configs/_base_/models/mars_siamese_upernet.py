# MaRS Siamese change detector: one shared MaRS RGB encoder (SwinV2-B, RGB weights) encodes
# both dates, |f1 - f2| per stage, then the UPerNet + FCN auxiliary heads of
# mars_upernet.py. Inputs stack the dates on the channel axis: t1 RGB 0-2, t2 RGB 3-5.
_base_ = ['./mars_upernet.py']
# MaRS RGB pretraining statistics (0-255), for each date.
rgb_norm = _base_.mars_norm.rgb
data_preprocessor = dict(
    _delete_=True,
    type='MultiModalSegDataPreProcessor',
    modalities=dict(t1=rgb_norm, t2=rgb_norm),
    pad_val=0,
    seg_pad_val=255,
    # MaRS encoders need sides divisible by 32; datasets with fixed crops set `size`.
    size_divisor=32,
    test_cfg=dict(size_divisor=32))
rgb_encoder = dict(
    in_channels=3,
    modality='rgb',
    init_cfg=dict(type='Pretrained', checkpoint='checkpoints/mars_base_rgb_encoder_only.pth'))
model = dict(
    type='SiameseEncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        _delete_=True,
        type='MaRSSiameseBackbone',
        arch='base',
        dates=dict(t1=rgb_encoder, t2=rgb_encoder),
        shared_encoder=True,
        # 'abs_diff' |f1 - f2|, 'diff' f2 - f1, or 'concat' (+ 1x1 conv).
        fusion='abs_diff',
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.3),
    decode_head=dict(num_classes=2),
    auxiliary_head=dict(num_classes=2))
