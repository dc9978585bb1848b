# The WHU-CD paper-protocol recipe shrunk for CPU tests: tiny shared encoder without
# weights, a narrow decoder, 64x64 pairs, one epoch of 2 iterations (2 fixture pairs, 1 per
# batch); the tests point `data_root` at a fixture written into tmp_path.
_base_ = ['../../../configs/change/whu_cd/'
          'mars-base_paper-protocol_linknet_1xb8-100e_whu-cd-256x256.py']
tiny_encoder = dict(in_channels=3, modality='rgb', init_cfg=None)
model = dict(
    data_preprocessor=dict(size=(64, 64)),
    backbone=dict(arch='tiny', drop_path_rate=0.0,
                  dates=dict(t1=tiny_encoder, t2=tiny_encoder)),
    # Both dates' 256 stage-4 channels, concatenated.
    decode_head=dict(in_channels=512, fuse_channels=32,
                     decoder_channels=[16, 16, 16, 16, 16], channels=16))
train_dataloader = dict(batch_size=1, num_workers=0, persistent_workers=False)
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = dict(num_workers=0, persistent_workers=False)
train_cfg = dict(max_epochs=1)
default_hooks = dict(logger=dict(interval=1))
randomness = dict(seed=0)
