# MaRS-Large pretraining as published: 8 GPUs x 12 pairs, otherwise as MaRS-Base.
_base_ = ['./mars-base_pretrain_8xb16-12e_mars16m-512x512.py']

model = dict(arch='large',
             start_weights='checkpoints/swinv2_large_window12to16_192to256.pth')
train_dataloader = dict(batch_size=12)
total_batch = 8 * 12
optim_wrapper = dict(optimizer=dict(lr=1e-4 * total_batch / 256))
auto_scale_lr = dict(base_batch_size=total_batch)
