# Fusion variant: MMA-style attention on the deepest stage (self-attention within each
# modality, then joint attention over both), sum on the other stages.
_base_ = ['./mars-base_upernet_8xb2-40k_earthmiss-512x512.py']
model = dict(backbone=dict(fusion='attention'))
