# Runtime of the detection configs (SARDet-100k, UBC-V2): mmdet scope, epoch-based logging.
_base_ = './default_runtime.py'

default_scope = 'mmdet'
# Detection images come in many sizes, where cudnn benchmarking re-tunes for each shape.
env_cfg = dict(cudnn_benchmark=False)
visualizer = dict(type='DetLocalVisualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='DetVisualizationHook'))

tta_model = dict(
    _delete_=True,
    type='DetTTAModel',
    tta_cfg=dict(nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))
