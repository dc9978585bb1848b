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
