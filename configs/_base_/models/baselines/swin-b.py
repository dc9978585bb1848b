# Swin-B (window 7), ImageNet (timm swin_base_patch4_window7_224; Microsoft's own
# swin_base_patch4_window7_224.pth is converted by timm on loading). Strides 4-32; windows
# padded for any input size.
baseline_backbone = dict(
    _delete_=True,
    type='BaselineBackbone',
    arch='swin-b',
    in_channels=3,
    init_cfg=dict(
        type='Pretrained',
        checkpoint=('checkpoints/baselines/'
                    'swin_base_patch4_window7_224.ms_in22k_ft_in1k.safetensors')))
baseline_channels = [128, 256, 512, 1024]
