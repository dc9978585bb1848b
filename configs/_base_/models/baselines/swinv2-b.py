# SwinV2-B (window 8), ImageNet-1k (timm swinv2_base_window8_256, the authors' rsfm.py
# SwinBackbone; the same network as MaRS-B). Created at 512 px, strides 4-32.
baseline_backbone = dict(
    _delete_=True,
    type='BaselineBackbone',
    arch='swinv2-b',
    in_channels=3,
    init_cfg=dict(
        type='Pretrained',
        checkpoint='checkpoints/baselines/swinv2_base_window8_256.ms_in1k.safetensors'))
baseline_channels = [128, 256, 512, 1024]
