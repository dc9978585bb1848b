# CrossMAE ViT-B/16, ImageNet-1k pretraining (TonyLianLong/CrossMAE release, MAE checkpoint
# {'model': ...}: timm ViT encoder keys; cross-attention decoder, dec_norms and wfm dropped;
# no encoder final norm in the release). As ViT-B/16: created at 512 px, the 14x14 sin-cos
# table resampled to each input, ViTDet simple feature pyramid.
baseline_backbone = dict(
    _delete_=True,
    type='BaselineBackbone',
    arch='crossmae-vit-b16',
    in_channels=3,
    feature_pyramid='simple',
    checkpoint_format='crossmae',
    init_cfg=dict(
        type='Pretrained',
        checkpoint=('checkpoints/baselines/'
                    'imagenet-mae-cross-vitb-pretrain-wfm-mr0.75-kmr0.75-dd12-ep800-ui.pth')))
baseline_channels = [192, 384, 768, 768]
