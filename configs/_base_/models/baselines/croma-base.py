# CROMA-B (Sentinel-1 / Sentinel-2 pretraining; CROMABackbone, 2D-ALiBi ViTs with 8 px
# patches). in_channels=3 runs the optical encoder on CROMA's bands B4, B3, B2 (RGB; the
# optical_bands default), as the authors' rsfm.py fed 3 channels to it; 1 runs the radar
# encoder on VV (sar_bands); 4 runs both and the joint encoder. Its stride-8 map goes
# through a stride-8 simple feature pyramid (strides 4, 8, 16, 32; feature_pyramid='last'
# is the authors' single map). 2D-ALiBi biases are built for each input's grid.
baseline_backbone = dict(
    _delete_=True,
    type='CROMABackbone',
    arch='croma-base',
    in_channels=3,
    feature_pyramid='simple',
    init_cfg=dict(type='Pretrained', checkpoint='checkpoints/baselines/CROMA_base.pt'))
baseline_channels = [384, 768, 768, 768]
