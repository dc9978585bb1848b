# MaRS-B RGB + SAR encoders (sum fusion, modality dropout) + UPerNet on EarthMiss:
# 8 GPUs x 2 images, 40k iterations, 512 crops; tested with both / RGB only / SAR only.
_base_ = [
    '../../_base_/models/mars_multimodal_upernet.py', '../../_base_/datasets/earthmiss.py',
    '../../_base_/default_runtime.py', '../../_base_/schedules/schedule_40k.py'
]
crop_size = (512, 512)
model = dict(
    # EarthMiss statistics (0-255).
    data_preprocessor=dict(
        size=crop_size,
        size_divisor=None,
        modalities=dict(
            rgb=dict(mean=[111.97, 118.42, 115.03], std=[72.97, 72.99, 81.92]),
            sar=dict(mean=[63.30], std=[68.20]))),
    decode_head=dict(num_classes=8),
    auxiliary_head=dict(num_classes=8))
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-4, betas=(0.9, 0.999), weight_decay=0.05),
    constructor='MaRSLayerDecayOptimizerConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.9))
# One test run, three availability patterns, one table (+ availability_metrics.json).
test_cfg = dict(
    type='ModalityAvailabilityTestLoop', patterns=[('rgb', 'sar'), ('rgb', ), ('sar', )])
default_hooks = dict(
    checkpoint=dict(save_best='mIoU', rule='greater', max_keep_ckpts=2),
    # Draws over RGB, or over SAR when RGB is missing; one drawing per pattern.
    visualization=dict(type='MultiModalSegVisualizationHook'))
# An encoder whose modality is dropped from a whole batch gets no gradient in that step.
find_unused_parameters = True
