# The MaRS authors' WHU-CD protocol with MaRS-L (their changemodel.py 'mars_large_change',
# feat_dim=1536); see the MaRS-B config.
_base_ = ['./mars-base_paper-protocol_linknet_1xb8-100e_whu-cd-256x256.py']
large_encoder = dict(
    in_channels=3,
    modality='rgb',
    init_cfg=dict(type='Pretrained', checkpoint='checkpoints/mars_large_rgb_encoder_only.pth'))
model = dict(
    backbone=dict(arch='large', dates=dict(t1=large_encoder, t2=large_encoder)),
    # Both dates' 1536 stage-4 channels, concatenated.
    decode_head=dict(in_channels=3072))
