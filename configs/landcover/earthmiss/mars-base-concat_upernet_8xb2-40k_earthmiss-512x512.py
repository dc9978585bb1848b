# Fusion variant: per-stage concatenation of RGB and SAR features + 1x1 conv.
_base_ = ['./mars-base_upernet_8xb2-40k_earthmiss-512x512.py']
model = dict(backbone=dict(fusion='concat'))
