# MaRS RGB + SAR encoders (SwinV2-B each, own weights), fused per stage, + the UPerNet and
# FCN auxiliary heads of mars_upernet.py. Inputs stack the modalities on the channel axis:
# RGB 0-2, SAR 3.
_base_ = ['./mars_upernet.py']
data_preprocessor = dict(
    _delete_=True,
    type='MultiModalSegDataPreProcessor',
    # MaRS pretraining statistics (0-255): RGB, and Umbra SAR (uint8).
    modalities=_base_.mars_norm,
    pad_val=0,
    seg_pad_val=255,
    # MaRS encoders need sides divisible by 32; datasets with fixed crops set `size`.
    size_divisor=32,
    test_cfg=dict(size_divisor=32))
model = dict(
    type='MultiModalEncoderDecoder',
    data_preprocessor=data_preprocessor,
    backbone=dict(
        _delete_=True,
        type='MaRSMultiModalBackbone',
        arch='base',
        modalities=dict(
            rgb=dict(in_channels=3, init_cfg=dict(
                type='Pretrained', checkpoint='checkpoints/mars_base_rgb_encoder_only.pth')),
            sar=dict(in_channels=1, init_cfg=dict(
                type='Pretrained', checkpoint='checkpoints/mars_base_sar_encoder_only.pth'))),
        # Sum of the present modalities' features per stage: the MaRS authors' choice.
        fusion='sum',
        # Train for missing inputs: each sample loses RGB or SAR with this probability
        # (never both).
        modality_dropout=dict(rgb=0.15, sar=0.15),
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.3))
