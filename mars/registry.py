"""Registries of MaRS-Bench.

Downstream modules register into mmseg's and mmdet's own registries (see
:func:`register_downstream`), so ordinary mmseg / mmdet configs find them without a scope
prefix. What belongs to neither library (pretraining) uses the ``mars`` registries below,
children of mmengine's root registries, with ``default_scope='mars'``.
"""
from mmdet import registry as det_registry
from mmengine import registry as root
from mmengine.registry import Registry
from mmseg import registry as seg_registry

MODELS = Registry('model', parent=root.MODELS, scope='mars', locations=['mars.models'])
DATASETS = Registry('dataset', parent=root.DATASETS, scope='mars', locations=['mars.datasets'])
TRANSFORMS = Registry(
    'transform', parent=root.TRANSFORMS, scope='mars', locations=['mars.datasets.transforms'])
METRICS = Registry('metric', parent=root.METRICS, scope='mars', locations=['mars.evaluation'])
HOOKS = Registry('hook', parent=root.HOOKS, scope='mars', locations=['mars.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor', parent=root.OPTIM_WRAPPER_CONSTRUCTORS, scope='mars',
    locations=['mars.engine'])
# The rest of mmengine's root registries get a ``mars`` child too, so a Runner built with
# ``default_scope='mars'`` finds a registry of its scope for every type it builds (loops,
# samplers, optimizers...) instead of warning and falling back to the root; each child
# looks up its parent, so every mmengine type resolves unchanged.
RUNNERS = Registry('runner', parent=root.RUNNERS, scope='mars')
STRATEGIES = Registry('strategy', parent=root.STRATEGIES, scope='mars')
RUNNER_CONSTRUCTORS = Registry(
    'runner constructor', parent=root.RUNNER_CONSTRUCTORS, scope='mars')
LOOPS = Registry('loop', parent=root.LOOPS, scope='mars', locations=['mars.engine'])
DATA_SAMPLERS = Registry(
    'data sampler', parent=root.DATA_SAMPLERS, scope='mars', locations=['mars.datasets'])
MODEL_WRAPPERS = Registry('model_wrapper', parent=root.MODEL_WRAPPERS, scope='mars')
WEIGHT_INITIALIZERS = Registry(
    'weight initializer', parent=root.WEIGHT_INITIALIZERS, scope='mars')
OPTIMIZERS = Registry('optimizer', parent=root.OPTIMIZERS, scope='mars')
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=root.OPTIM_WRAPPERS, scope='mars')
PARAM_SCHEDULERS = Registry('parameter scheduler', parent=root.PARAM_SCHEDULERS, scope='mars')
EVALUATOR = Registry('evaluator', parent=root.EVALUATOR, scope='mars')
TASK_UTILS = Registry('task util', parent=root.TASK_UTILS, scope='mars')
VISUALIZERS = Registry('visualizer', parent=root.VISUALIZERS, scope='mars')
VISBACKENDS = Registry('vis_backend', parent=root.VISBACKENDS, scope='mars')
LOG_PROCESSORS = Registry('log_processor', parent=root.LOG_PROCESSORS, scope='mars')
INFERENCERS = Registry('inferencer', parent=root.INFERENCERS, scope='mars')
FUNCTIONS = Registry('function', parent=root.FUNCTIONS, scope='mars')


def register_downstream(kind, seg=True, det=True):
    """Class decorator registering a module into mmseg's and / or mmdet's ``kind`` registry.

    Args:
        kind (str): Registry name as in ``mmseg.registry``, e.g. ``'MODELS'``.
        seg (bool): Register into mmseg. Defaults to True.
        det (bool): Register into mmdet. Defaults to True.
    """
    registries = [getattr(seg_registry, kind)] if seg else []
    registries += [getattr(det_registry, kind)] if det else []

    def decorator(cls):
        for registry in registries:
            registry.register_module(module=cls)
        return cls

    return decorator
