# The WHU-CD recipe shrunk for CPU tests: tiny shared encoder without weights, BN,
# 2 iterations; the tests point `data_root` at a fixture written into tmp_path.
_base_ = ['../../../configs/change/whu_cd/mars-base_siamese-upernet_8xb4-40k_whu-cd-256x256.py']
norm_cfg = dict(type='BN', requires_grad=True)
tiny_encoder = dict(in_channels=3, modality='rgb', init_cfg=None)
model = dict(
    data_preprocessor=dict(size=(64, 64)),
    backbone=dict(arch='tiny', drop_path_rate=0.0,
                  dates=dict(t1=tiny_encoder, t2=tiny_encoder)),
    decode_head=dict(
        in_channels={{_base_.mars_archs.tiny.channels}}, channels=16, pool_scales=(1, 2),
        norm_cfg=norm_cfg),
    auxiliary_head=dict(in_channels={{_base_.mars_archs.tiny.stride16}}, channels=16,
                        norm_cfg=norm_cfg))
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False)
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = dict(num_workers=0, persistent_workers=False)
train_cfg = dict(max_iters=2, val_interval=2)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2))
randomness = dict(seed=0)
