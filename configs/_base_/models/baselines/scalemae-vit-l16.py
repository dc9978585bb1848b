# Scale-MAE ViT-L/16, FMoW-RGB pretraining (the authors' scalemae-vitlarge-800.pth: MAE
# checkpoint {'model': ...}: timm ViT encoder keys; decoder, FPN / FCN heads and the fixed
# 224-px pos_embed dropped). Position encoding: Scale-MAE's GSD-scaled 2-D sin-cos,
# recomputed at every forward with input_res = base_resolution * reference_size / side
# (Scale-MAE's evaluation with --eval_gsd, the default of its KNN evaluation: 1.0 * 224 /
# side, i.e. 0.4375 at 512 px); arch_options.input_res=1.0 is its fine-tuning command's
# (--eval_gsd off), any value fixes it. Created at 512 px, ViTDet simple feature pyramid
# (feature_pyramid='last': the authors' single stride-16 map).
baseline_backbone = dict(
    _delete_=True,
    type='BaselineBackbone',
    arch='scalemae-vit-l16',
    in_channels=3,
    feature_pyramid='simple',
    checkpoint_format='scalemae',
    arch_options=dict(base_resolution=1.0, reference_size=224, input_res=None),
    init_cfg=dict(type='Pretrained', checkpoint='checkpoints/baselines/scalemae-vitlarge-800.pth'))
baseline_channels = [256, 512, 1024, 1024]
