# Runtime shared by the segmentation-like tasks (land cover, roads, change, height).
# Detection configs use default_runtime_det.py, which inherits this file.
default_scope = 'mmseg'
# Importing `mars` registers the MaRS modules into mmseg / mmdet and installs the checkpoint
# loader that works with torch >= 2.6; the tools import it too.
custom_imports = dict(imports=['mars'], allow_failed_imports=False)
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    # On machines without a GPU the tools switch this to 'gloo' (mars.utils.dist_env).
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False

tta_model = dict(type='SegTTAModel')
# Saves the input normalisation in checkpoints and warns when a checkpoint is loaded with
# different numbers (mars.engine.hooks.NormalizationCheckHook).
custom_hooks = [dict(type='NormalizationCheckHook', on_mismatch='warn')]
