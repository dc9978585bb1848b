# GFM Swin-B (ImageNet-22k Swin-B continually pretrained on GeoPile; mmendiet/GFM's
# gfm.pth, SimMIM checkpoint {'model': ...}: `encoder.` keys taken, decoder / projector /
# teacher / mask token dropped; Microsoft Swin keys converted by timm). Window 8 (GFM's
# fine-tuning configs), created at 512 px, strides 4-32; relative position bias tables of
# another window are resized on loading (logged). An encoder-only file (no `encoder.`
# prefix) needs checkpoint_format='timm'.
baseline_backbone = dict(
    _delete_=True,
    type='BaselineBackbone',
    arch='gfm-swin-b',
    in_channels=3,
    checkpoint_format='simmim',
    init_cfg=dict(type='Pretrained', checkpoint='checkpoints/baselines/gfm.pth'))
baseline_channels = [128, 256, 512, 1024]
