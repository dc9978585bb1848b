# ResNet-50, ImageNet (torchvision IMAGENET1K_V1, the weights of mmdet's
# 'torchvision://resnet50' the authors' r50 configs start from; timm's resnet50 files have
# the same keys). Strides 4-32. A task config swaps it in with
#   model=dict(backbone=_base_.baseline_backbone, neck=dict(in_channels=_base_.baseline_channels))
baseline_backbone = dict(
    _delete_=True,
    type='BaselineBackbone',
    arch='resnet50',
    in_channels=3,
    init_cfg=dict(type='Pretrained', checkpoint='checkpoints/baselines/resnet50-0676ba61.pth'))
baseline_channels = [256, 512, 1024, 2048]
