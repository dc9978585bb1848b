"""Load a MaRS-Bench model from a config + checkpoint and run it on files or arrays.

Every task family goes through the config's own test pipeline and data preprocessor, so
predictions equal those of ``tools/test.py``: single-modality segmentation (a path or an
``HxWxC`` array), multi-modal segmentation / height (a dict ``modality -> path | array |
None``; None = missing modality), change detection (a dict ``date -> path | array``, or a
tuple of the two dates, first date first) and mmdet detection (a path or array).

Non-finite pixels (NaN / inf in any band of any input) are nodata: they enter the model as
the normalisation mean (0 after normalisation, the value of the padding) and come out as
the nodata class :data:`NODATA_CLASS` (class maps, NaN in ``seg_logits``) or NaN
(heights), with one log line counting them.
"""
import copy
import importlib
import logging

import numpy as np
import torch
from mmcv.transforms import LoadImageFromFile
from mmengine.dataset import Compose, pseudo_collate
from mmengine.logging import print_log
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import DefaultScope
from mmengine.runner.checkpoint import CheckpointLoader

from mars.datasets.transforms import (LoadMergedModalities, LoadMultiModalImages,
                                      LoadRSImageFromFile)
from mars.datasets.transforms.loading import num_channels, read_image
from mars.engine.hooks.normalization_check_hook import META_KEY, normalization_of
from mars.utils.checkpoint_check import load_checked
from mars.utils.tool_config import config_scope, read_config

# Class id of nodata pixels in predicted class maps (mmseg's ignore index).
NODATA_CLASS = 255

# Scopes whose models predict (init_model / inference_model); 'mars' is pretraining.
INFERENCE_SCOPES = ('mmseg', 'mmdet')


def _registry(scope, name):
    return getattr(importlib.import_module(f'{scope}.registry'), name)


def _config_dataset_meta(cfg, scope):
    """Classes / palette from the test dataset of the config (class METAINFO + metainfo)."""
    dataset = cfg.get('test_dataloader', {}).get('dataset', {})
    while 'dataset' in dataset:  # dataset wrappers
        dataset = dataset['dataset']
    meta = {}
    dataset_cls = _registry(scope, 'DATASETS').get(dataset.get('type', ''))
    if dataset_cls is not None:
        meta.update(copy.deepcopy(getattr(dataset_cls, 'METAINFO', {})))
    meta.update(dataset.get('metainfo') or {})
    return meta


def init_model(config, checkpoint=None, device='cpu', cfg_options=None,
               allow_partial_checkpoint=False):
    """Build the model of ``config`` in its scope (mmseg or mmdet) and load ``checkpoint``.

    The backbones' pretrained ``init_cfg`` is not applied (the checkpoint holds every
    weight). The checkpoint's ``dataset_meta`` (classes, palette) is kept on the model,
    else the config's test dataset gives it; a checkpoint trained with another input
    normalisation than the config's logs an error-level warning.

    Pretraining configs (``default_scope='mars'``, configs/pretrain) are refused: the
    pretraining model predicts nothing. Convert its checkpoint into the released encoder
    files (``tools/model_converters/mars_pretrain_to_encoders.py``) and load those through
    a downstream config.

    Args:
        config (str | Config): Config file or object.
        checkpoint (str, optional): Checkpoint file; None leaves the weights random.
        device (str): Device. Defaults to 'cpu'.
        cfg_options (dict, optional): Overrides merged into the config.
        allow_partial_checkpoint (bool): Load a checkpoint whose weights do not all fit
            the model (a WARNING lists the rest) instead of refusing it. A checkpoint that
            shares no weight with the model is refused anyway. Defaults to False.

    Returns:
        nn.Module: The model in eval mode, with ``cfg`` and ``dataset_meta`` attributes.

    Raises:
        CheckpointMismatchError: a key of the checkpoint or of the model is missing,
            unexpected or of another shape (unless ``allow_partial_checkpoint``).
        ValueError: ``config`` is a pretraining (``mars``-scope) config.
    """
    cfg = read_config(config, cfg_options)
    scope = config_scope(cfg)
    if scope not in INFERENCE_SCOPES:
        raise ValueError(
            f'{cfg.filename}: default_scope {scope!r} is a pretraining config, which builds '
            f'no inference model; init_model takes {INFERENCE_SCOPES} configs. Convert the '
            f'pretraining checkpoint with tools/model_converters/mars_pretrain_to_encoders.py'
            f' and load the encoders through a downstream config')
    cfg.default_scope = scope
    cfg.model.train_cfg = None
    with DefaultScope.overwrite_default_scope(scope):
        model = _registry(scope, 'MODELS').build(cfg.model)
    model = revert_sync_batchnorm(model)
    model.dataset_meta = _config_dataset_meta(cfg, scope)
    if checkpoint is not None:
        ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
        load_checked(model, ckpt, checkpoint, strict=not allow_partial_checkpoint)
        meta = ckpt.get('meta', {})
        if meta.get('dataset_meta'):
            model.dataset_meta = meta['dataset_meta']
        saved, current = meta.get(META_KEY), normalization_of(model.data_preprocessor)
        if saved is not None and saved != current:
            print_log(f'{checkpoint} was trained with input normalisation {saved} but the '
                      f'config uses {current}: predictions will be wrong unless intended',
                      logger='current', level=logging.ERROR)
    model.cfg = cfg
    return model.to(device).eval()


def nonfinite_mask(img):
    """``HxW`` bool mask of the pixels with a NaN / inf in any band of ``img``
    (``HxW[xC]``); None when every value is finite (integer images always are)."""
    if not np.issubdtype(img.dtype, np.floating):
        return None
    finite = np.isfinite(img)
    if finite.all():
        return None
    return ~finite if finite.ndim == 2 else ~finite.all(axis=2)


def _is_load(transform_cfg):
    return str(transform_cfg.get('type', '')).startswith('Load')


class InferencePipeline:
    """The config's test pipeline without label loading, for files and arrays.

    The first transform (the image loader) reads files as in testing; arrays are loaded in
    memory with the same conventions (band order of the file, channel checks, modality
    stacking). Later ``Load*`` transforms (annotations) are dropped. Non-finite values are
    kept (the loaders of multi-modal and merged-band files refuse them in training; here
    the inference pipeline sets their ``keep_nonfinite``):
    :meth:`prepare` returns their mask, and :func:`inference_model` treats them as nodata.

    Args:
        cfg (Config): Model config with ``test_dataloader`` (or ``test_pipeline``).
    """

    def __init__(self, cfg):
        self.scope = config_scope(cfg)
        dataset = cfg.test_dataloader.dataset
        while 'dataset' in dataset:
            dataset = dataset.dataset
        pipeline = copy.deepcopy(dataset.get('pipeline', cfg.get('test_pipeline')))
        if not pipeline or not _is_load(pipeline[0]):
            raise ValueError(f'{cfg.filename}: the test pipeline must start with an image '
                             f'loader (Load...), got {pipeline[:1]}')
        with DefaultScope.overwrite_default_scope(self.scope):
            self.loader = _registry(self.scope, 'TRANSFORMS').build(pipeline[0])
            self.rest = Compose([t for t in pipeline[1:] if not _is_load(t)])
        if isinstance(self.loader, (LoadMultiModalImages, LoadMergedModalities)):
            # They refuse NaN / inf in training; here those are nodata.
            self.loader.keep_nonfinite = True

    @property
    def modalities(self):
        """Modality (or date) names of a stacking loader, else None (one image)."""
        if isinstance(self.loader, LoadMultiModalImages):
            return self.loader.modalities
        return None

    def _named(self, item):
        """``{name: path | array | None}`` for a stacking loader."""
        names = self.modalities
        if isinstance(item, tuple) and len(item) == len(names):
            item = dict(zip(names, item))
        if not isinstance(item, dict):
            raise TypeError(f'this model stacks {names}: pass a dict name -> path / array '
                            f'(or a tuple in that order), got {type(item).__name__}')
        unknown = [name for name in item if name not in names]
        if unknown:
            raise KeyError(f'inputs {unknown} are not among the model inputs {names}')
        return {name: item.get(name) for name in names}

    @staticmethod
    def _check_shape(array, what):
        if not isinstance(array, np.ndarray) or array.ndim not in (2, 3):
            raise ValueError(f'{what}: expected an HxW or HxWxC array, got '
                             f'{getattr(array, "shape", type(array).__name__)}')

    def _stack_arrays(self, named):
        """What the stacking loader puts in ``results``, from arrays (or paths)."""
        arrays, paths = {}, {}
        for name, value in named.items():
            paths[name] = value if isinstance(value, str) else None
            if isinstance(value, str):
                value = read_image(value, 'rgb', self.loader.backend_args)
            if value is not None:
                self._check_shape(value, name)
                value = self.loader.check_array(name, value, paths[name] or f'{name} array')
            arrays[name] = value
        labels = {name: paths[name] or f'<{name} array>' for name in named}
        return self.loader.stack(arrays, paths, labels)

    def _single_array(self, array):
        """What the loader puts in ``results`` for an image array (file band order)."""
        self._check_shape(array, 'image array')
        loader = self.loader
        if isinstance(loader, (LoadMergedModalities, LoadRSImageFromFile)):
            return loader.load_array(array)
        if not isinstance(loader, LoadImageFromFile):
            raise TypeError(f'{type(loader).__name__} cannot load in-memory arrays; pass '
                            f'a file path')
        # mmcv decodes through OpenCV: 'grayscale' gives HxW, the others 3-channel BGR.
        if loader.color_type == 'grayscale':
            if num_channels(array) != 1:
                raise ValueError(f'image array has {num_channels(array)} channels (shape '
                                 f"{array.shape}), expected 1 (LoadImageFromFile "
                                 f"color_type='grayscale')")
            array = array.reshape(array.shape[:2])
        else:
            if num_channels(array) not in (1, 3):
                raise ValueError(f'image array has {num_channels(array)} channels (shape '
                                 f'{array.shape}), expected 3 (LoadImageFromFile '
                                 f'color_type={loader.color_type!r})')
            if num_channels(array) == 1:
                array = np.repeat(array.reshape(array.shape[:2] + (1, )), 3, axis=2)
            array = array[..., ::-1]
        array = np.ascontiguousarray(array)
        if loader.to_float32:
            array = array.astype(np.float32)
        return dict(img=array, img_shape=array.shape[:2], ori_shape=array.shape[:2],
                    img_path=None)

    def prepare(self, item):
        """Model inputs and data sample of one item (path, array, dict or tuple), and the
        ``HxW`` mask of its non-finite pixels (None when every value is finite)."""
        if self.modalities is not None:
            named = self._named(item)
            if all(v is None or isinstance(v, str) for v in named.values()):
                results = self.loader(dict(modality_paths=named))
            else:
                results = self._stack_arrays(named)
        elif isinstance(item, str):
            results = self.loader(dict(img_path=item, img_id=0))
        else:
            results = self._single_array(item)
        mask = nonfinite_mask(results['img'])
        with DefaultScope.overwrite_default_scope(self.scope):
            return self.rest(results), mask

    def __call__(self, item):
        """Model inputs and data sample of one item (path, array, dict or tuple)."""
        return self.prepare(item)[0]


def _describe(item):
    """The files of an input for messages, or 'the input array(s)'."""
    if isinstance(item, str):
        return item
    values = item.values() if isinstance(item, dict) else item if isinstance(
        item, tuple) else [item]
    paths = [v for v in values if isinstance(v, str)]
    return ', '.join(paths) if paths else 'the input array(s)'


def _zero_nonfinite(inputs):
    """Normalised inputs with NaN / inf set to 0 (the normalisation mean)."""
    if isinstance(inputs, torch.Tensor):
        return torch.where(torch.isfinite(inputs), inputs, torch.zeros_like(inputs))
    return [_zero_nonfinite(x) for x in inputs]


def mark_nodata(sample, mask):
    """Write the nodata pixels ``mask`` (``HxW`` bool) into a prediction: the class
    :data:`NODATA_CLASS` in ``pred_sem_seg``, NaN in ``seg_logits`` and
    ``pred_depth_map``. Detection samples have no per-pixel output and are left as they
    are."""
    for key, value in (('pred_sem_seg', NODATA_CLASS), ('seg_logits', float('nan')),
                       ('pred_depth_map', float('nan'))):
        if key not in sample:
            continue
        data = getattr(sample, key).data
        if tuple(data.shape[-2:]) != mask.shape:
            raise ValueError(f'{key} is {tuple(data.shape[-2:])} but the input is '
                             f'{mask.shape} (HxW): cannot mark its nodata pixels')
        data[..., torch.from_numpy(mask).to(data.device)] = value


def inference_model(model, inputs, pipeline=None, log_nonfinite=True):
    """Predict one input or a list of inputs with a model from :func:`init_model`.

    Args:
        model (nn.Module): Model with a ``cfg`` attribute.
        inputs (str | np.ndarray | dict | tuple | list): One input, or a list of inputs
            (one batch). An input is a path or ``HxW[xC]`` array (band order of the file,
            e.g. R, G, B) for single-image models, a dict ``name -> path | array | None``
            for multi-modal (and change) models, or a tuple of the inputs in the model's
            order (change: first date first).
        pipeline (InferencePipeline, optional): Reused pipeline (built when None).
        log_nonfinite (bool): Log one line per input holding non-finite pixels (tiled
            inference counts them once per scene instead). Defaults to True.

    Returns:
        SegDataSample | DetDataSample | list: ``pred_sem_seg`` + ``seg_logits``
        (segmentation, change), ``pred_depth_map`` in metres (height), ``pred_instances``
        (detection); a list for a list input. Pixels with a NaN / inf in any band of any
        input are fed to the model as the normalisation mean and predicted as nodata:
        class :data:`NODATA_CLASS` and NaN logits, NaN heights (see :func:`mark_nodata`).
    """
    pipeline = pipeline or InferencePipeline(model.cfg)
    batch = inputs if isinstance(inputs, list) else [inputs]
    prepared = [pipeline.prepare(item) for item in batch]
    masks = [mask for _, mask in prepared]
    data = pseudo_collate([packed for packed, _ in prepared])
    with torch.no_grad():
        if all(mask is None for mask in masks):
            results = model.test_step(data)
        else:  # test_step with the non-finite inputs set to the mean after normalisation
            data = model.data_preprocessor(data, False)
            data['inputs'] = _zero_nonfinite(data['inputs'])
            results = model(**data, mode='predict')
    for item, mask, result in zip(batch, masks, results):
        if mask is None:
            continue
        mark_nodata(result, mask)
        if log_nonfinite:
            print_log(f'{int(mask.sum())} pixel(s) of {_describe(item)} are not finite (NaN '
                      f'/ inf): fed to the model as the normalisation mean and predicted '
                      f'as nodata', logger='current', level=logging.WARNING)
    return results if isinstance(inputs, list) else results[0]
