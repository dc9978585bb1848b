"""Keep inference on the input normalisation a model was trained with, and check that the
normalisation fits the data it is given."""
import logging

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mars.datasets.transforms.loading import read_image
from mars.registry import register_downstream

META_KEY = 'input_normalization'
STATS_COMMAND = 'python tools/analysis_tools/compute_stats.py {config} --split train'
# At most this many values per channel and batch enter the input check (a strided subset).
MAX_CHECKED_VALUES = 1_000_000


def normalization_of(preprocessor):
    """Plain-data description of a data preprocessor's input normalisation.

    Preprocessors with per-modality statistics describe themselves (``norm_spec()``); for
    mmengine / mmseg / mmdet image preprocessors it is their ``mean`` / ``std``. None when
    the preprocessor does not normalise.
    """
    if hasattr(preprocessor, 'norm_spec'):
        return preprocessor.norm_spec()
    if getattr(preprocessor, '_enable_normalize', False):
        return {'img': {'mean': [round(float(v), 6) for v in preprocessor.mean.flatten()],
                        'std': [round(float(v), 6) for v in preprocessor.std.flatten()]}}
    return None


def _fmt(values):
    return '[' + ', '.join(f'{v:.4g}' for v in values) + ']'


def _modality_values(inputs, spec, reverse_channels=False, masks=None):
    """``{modality: (first channel, float64 [N, C] values of the present samples)}``.

    ``inputs`` is a list of ``[C, H, W]`` tensors, a ``[B, C, H, W]`` tensor (modalities
    stacked on the channel axis in ``spec`` order) or a dict of ``[B, C, H, W]`` tensors
    by modality name; ``masks`` gives each sample's modality flags (None: all present).
    """
    if isinstance(inputs, dict):
        out = {}
        for name in spec:
            if name in inputs:
                t = torch.as_tensor(inputs[name])
                out[name] = (0, t.detach().movedim(1, -1).reshape(-1, t.shape[1]), t.dtype)
        return out
    samples = list(inputs)
    if not samples:
        return {}
    out, start = {}, 0
    total = samples[0].shape[0]
    for index, (name, stats) in enumerate(spec.items()):
        # A single mean / std value applies to every channel (e.g. grey SAR as 3 channels).
        channels = total if len(spec) == 1 and len(stats['mean']) == 1 else len(stats['mean'])
        parts = []
        for sample_index, img in enumerate(samples):
            if masks is not None and masks[sample_index] is not None and \
                    not masks[sample_index][index]:
                continue
            part = img.detach()[start:start + channels]
            if reverse_channels and channels == 3:
                part = part.flip(0)
            parts.append(part.reshape(channels, -1).T)
        if parts:
            out[name] = (start, torch.cat(parts), samples[0].dtype)
        start += channels
    return out


def file_dtypes(data_sample):
    """``{modality: dtype name}`` of the files one data sample was read from (its
    ``modality_paths``, or ``img_path`` as ``img``); unreadable files are left out."""
    meta = getattr(data_sample, 'metainfo', {})
    paths = meta.get('modality_paths') or (
        {'img': meta['img_path']} if isinstance(meta.get('img_path'), str) else {})
    dtypes = {}
    for name, path in paths.items():
        try:
            dtypes[name] = str(read_image(path).dtype)
        except (OSError, ValueError):
            continue
    return dtypes


def input_range_problems(inputs, spec, reverse_channels=False, masks=None,
                         max_abs_mean=5., std_ratio=(0.05, 20.), dtypes=None):
    """Modalities whose raw values do not fit the statistics they are normalised with.

    For each modality and channel the present pixels of the batch are normalised with
    ``spec``; a channel fits when the normalised mean is within ``+-max_abs_mean`` and the
    normalised standard deviation within ``std_ratio``. Float images in [0, 1] with 0-255
    statistics become near-constant (std ~0.004); uint16 images with uint8 statistics end
    far from zero (mean ~50): both are reported.

    Args:
        inputs (list[Tensor] | Tensor | dict): The raw (not yet normalised) batch.
        spec (dict): ``{modality: {'mean': [...], 'std': [...]}}`` in channel order, as
            :func:`normalization_of` returns.
        reverse_channels (bool): The preprocessor flips BGR to RGB before normalising.
        masks (list, optional): Per sample, one presence flag per modality of ``spec``.
        max_abs_mean (float): Largest accepted normalised mean. Defaults to 5.
        std_ratio (tuple[float]): Accepted range of the normalised std. Defaults to
            (0.05, 20).
        dtypes (dict, optional): File dtype per modality, for the descriptions.

    Returns:
        list[str]: One description per modality that does not fit (empty when all fit).
    """
    problems = []
    for name, (start, values, dtype) in _modality_values(
            inputs, spec, reverse_channels, masks).items():
        if values.numel() == 0:
            continue
        step = max(1, values.shape[0] // MAX_CHECKED_VALUES)
        values = values[::step].double()
        channels = values.shape[1]
        mean = torch.tensor(spec[name]['mean'], dtype=torch.float64).expand(channels)
        std = torch.tensor(spec[name]['std'], dtype=torch.float64).expand(channels)
        obs_mean, obs_std = values.mean(0), values.std(0, unbiased=False)
        norm_mean, norm_std = (obs_mean - mean) / std, obs_std / std
        if (norm_mean.abs() <= max_abs_mean).all() and \
                ((norm_std >= std_ratio[0]) & (norm_std <= std_ratio[1])).all():
            continue
        if dtypes and name in dtypes:
            dtype = f'{dtypes[name]} file, {dtype} input'
        problems.append(
            f'modality {name!r} (channels {start}-{start + channels - 1}, {dtype}): values '
            f'in [{values.min().item():.4g}, {values.max().item():.4g}], mean '
            f'{_fmt(obs_mean)}, std {_fmt(obs_std)}; normalised with mean '
            f'{_fmt(mean)} std {_fmt(std)} they have mean {_fmt(norm_mean)} and std '
            f'{_fmt(norm_std)} (accepted: |mean| <= {max_abs_mean:g}, std in '
            f'[{std_ratio[0]:g}, {std_ratio[1]:g}])')
    return problems


@register_downstream('HOOKS')
class NormalizationCheckHook(Hook):
    """Check the input normalisation against the data, save it in checkpoints and check it
    when one is loaded.

    ``before_{train,val,test}_iter`` (``check_inputs``): the first ``check_batches``
    batches of each loop are compared, raw, with the data preprocessor's mean / std, per
    modality (:func:`input_range_problems`). Statistics that do not fit the data (float
    RGB in [0, 1] or uint16 RGB with 0-255 statistics, float or uint16 SAR with uint8
    statistics) give no error anywhere else, only a model that learns little: here they
    stop the run with a message naming the modality, its observed range and the
    ``compute_stats`` command that measures the right numbers.

    ``before_save_checkpoint`` writes the data preprocessor's mean / std (per modality for
    multi-modal models) to ``checkpoint['meta']['input_normalization']``.
    ``after_load_checkpoint`` (``load_from``, ``resume``, ``tools/test.py``) compares it with
    the current config's: a model fed with statistics it was not trained on gives wrong
    results without any error, so a difference is logged as an error-level warning, or
    raises with ``on_mismatch='error'``.

    Args:
        on_mismatch (str): ``'warn'`` or ``'error'``. Defaults to 'warn'.
        check_inputs (bool): Check the first batches against the statistics. Defaults to
            True.
        check_batches (int): Batches checked at the start of each loop. Defaults to 2.
        max_abs_mean (float): Largest accepted |mean| of a normalised channel.
            Defaults to 5.
        std_ratio (tuple[float]): Accepted range of a normalised channel's std.
            Defaults to (0.05, 20).
    """

    priority = 'VERY_LOW'

    def __init__(self, on_mismatch='warn', check_inputs=True, check_batches=2,
                 max_abs_mean=5., std_ratio=(0.05, 20.)):
        if on_mismatch not in ('warn', 'error'):
            raise ValueError(f"on_mismatch must be 'warn' or 'error', got {on_mismatch!r}")
        if check_batches < 1 or max_abs_mean <= 0 or len(std_ratio) != 2 or \
                not 0 < std_ratio[0] < 1 < std_ratio[1]:
            raise ValueError(f'NormalizationCheckHook needs check_batches >= 1, '
                             f'max_abs_mean > 0 and 0 < std_ratio[0] < 1 < std_ratio[1]; '
                             f'got {check_batches}, {max_abs_mean}, {std_ratio}')
        self.on_mismatch = on_mismatch
        self.check_inputs = check_inputs
        self.check_batches = check_batches
        self.max_abs_mean = max_abs_mean
        self.std_ratio = tuple(std_ratio)
        self._checked = dict(train=0, val=0, test=0)

    @staticmethod
    def _preprocessor(runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        return model.data_preprocessor

    @classmethod
    def _current(cls, runner):
        return normalization_of(cls._preprocessor(runner))

    def _check(self, runner, data_batch, mode):
        if not self.check_inputs or self._checked[mode] >= self.check_batches or \
                not isinstance(data_batch, dict) or 'inputs' not in data_batch:
            return
        self._checked[mode] += 1
        preprocessor = self._preprocessor(runner)
        spec = normalization_of(preprocessor)
        if not spec:
            return
        samples = data_batch.get('data_samples')
        masks = None
        if isinstance(samples, (list, tuple)):
            masks = [None if s is None else s.metainfo.get('modality_mask') for s in samples]
        check = dict(reverse_channels=getattr(preprocessor, '_channel_conversion', False),
                     masks=masks, max_abs_mean=self.max_abs_mean, std_ratio=self.std_ratio)
        problems = input_range_problems(data_batch['inputs'], spec, **check)
        if problems and masks:  # name the file dtypes too (read only when reporting)
            problems = input_range_problems(data_batch['inputs'], spec,
                                            dtypes=file_dtypes(samples[0]), **check)
        if problems:
            config = getattr(getattr(runner, 'cfg', None), 'filename', None) or 'CONFIG'
            raise ValueError(
                f'the input normalisation does not fit the {mode} data (batch '
                f'{self._checked[mode]}):\n  ' + '\n  '.join(problems) +
                '\nTypical causes: float images in [0, 1] or uint16 images with 0-255 '
                'statistics, float or uint16 SAR with uint8 statistics. Measure the '
                'statistics of the data with\n  ' + STATS_COMMAND.format(config=config) +
                '\nand set them in model.data_preprocessor, or, if the numbers are '
                'intended, set check_inputs=False on the NormalizationCheckHook of '
                'custom_hooks.')

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self._check(runner, data_batch, 'train')

    def before_val_iter(self, runner, batch_idx, data_batch=None):
        self._check(runner, data_batch, 'val')

    def before_test_iter(self, runner, batch_idx, data_batch=None):
        self._check(runner, data_batch, 'test')

    def before_save_checkpoint(self, runner, checkpoint):
        checkpoint.setdefault('meta', {})[META_KEY] = self._current(runner)

    def after_load_checkpoint(self, runner, checkpoint):
        saved = checkpoint.get('meta', {}).get(META_KEY)
        current = self._current(runner)
        if saved is None or saved == current:
            return
        message = (f'input normalisation differs from the one the checkpoint was trained '
                   f'with:\n  checkpoint: {saved}\n  config:     {current}\n'
                   f'Predictions will be wrong unless this is intended; set the data '
                   f'preprocessor of the config to the checkpoint\'s values.')
        if self.on_mismatch == 'error':
            raise ValueError(message)
        print_log('!' * 80 + '\n' + message + '\n' + '!' * 80, logger='current',
                  level=logging.ERROR)
