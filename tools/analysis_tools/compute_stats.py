"""Per-modality, per-channel mean / std / percentiles of a dataset.

Builds the dataset of a config, runs each sample through the *loading* part of its pipeline
only (every transform up to and including ``LoadMultiModalImages`` or a subclass,
``LoadMergedModalities`` or mmcv's ``LoadImageFromFile``, so no augmentation or
normalisation touches the numbers) and prints a ``data_preprocessor`` snippet and one JSON
line::

    python tools/analysis_tools/compute_stats.py CONFIG [--split train] \\
        [--percentiles 1 99] [--max-samples N]

Mean and std are exact over all pixels of present modalities (missing modalities, whose
``modality_mask`` is False, are excluded): per-image count, mean and sum of squared
deviations are computed in float64 and merged with Chan et al.'s parallel update, which
does not lose precision the way ``E[x^2] - E[x]^2`` does. Percentiles are approximate: they
are the exact percentiles of a uniform random sample (fixed seed) of about
``--percentile-pixels`` values per channel, the same number drawn from every image. With
fewer pixels than that in the dataset, every pixel is used and they are exact.
"""
import argparse
import json
import math
import sys

import numpy as np
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar

from mars.utils.tool_config import CfgOptionsAction, read_config

LOADER = 'LoadMultiModalImages'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument('--split', default='train', choices=['train', 'val', 'test'],
                        help='which dataloader\'s dataset to measure')
    parser.add_argument('--percentiles', type=float, nargs='+', default=[1, 99],
                        help='percentiles to report, in [0, 100]')
    parser.add_argument('--max-samples', type=int, default=None,
                        help='measure at most this many samples (the first ones)')
    parser.add_argument('--percentile-pixels', type=int, default=2_000_000,
                        help='sampled values per channel for the percentiles')
    parser.add_argument('--seed', type=int, default=0, help='seed of the pixel sampling')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='override settings of the config, as in tools/train.py')
    return parser.parse_args(argv)


def _is_loader(transform):
    """Whether ``transform`` (config or object) is ``LoadMultiModalImages`` or a subclass
    (e.g. the change-detection ``LoadBitemporalImages``), ``LoadMergedModalities`` (one
    file holding every modality as bands, UBC-V2 ``merge``) or mmcv's
    ``LoadImageFromFile`` (one image, measured as modality ``img``)."""
    from mmcv.transforms import LoadImageFromFile
    from mmseg.registry import TRANSFORMS

    from mars.datasets.transforms import LoadMergedModalities, LoadMultiModalImages
    cls = TRANSFORMS.get(transform.get('type')) if isinstance(transform, dict) else type(
        transform)
    return isinstance(cls, type) and issubclass(
        cls, (LoadMultiModalImages, LoadMergedModalities, LoadImageFromFile))


def loading_pipeline(pipeline):
    """The transforms of ``pipeline`` up to and including its ``LoadMultiModalImages``."""
    found = [i for i, transform in enumerate(pipeline) if _is_loader(transform)]
    if not found:
        types = [t.get('type') if isinstance(t, dict) else type(t).__name__ for t in pipeline]
        raise ValueError(f'the dataset pipeline has no {LOADER} (or subclass), '
                         f'LoadMergedModalities or LoadImageFromFile (found {types})')
    return list(pipeline[:found[0] + 1])


def build_dataset(cfg, split, max_samples=None):
    """The ``split`` dataset of ``cfg`` with its loading pipeline only."""
    import mars  # noqa: F401  (registers MaRS datasets and transforms)
    from mmseg.registry import DATASETS
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    loader_key = f'{split}_dataloader'
    if loader_key not in cfg:
        raise KeyError(f'config has no {loader_key}')
    dataset_cfg = cfg[loader_key]['dataset'].copy()
    dataset_cfg['pipeline'] = loading_pipeline(dataset_cfg.get('pipeline', []))
    if max_samples is not None:
        dataset_cfg['indices'] = max_samples
    return DATASETS.build(dataset_cfg)


class ChannelStats:
    """Streaming exact mean / std and sampled percentiles of the channels of one modality.

    Args:
        num_channels (int): Channels of the modality.
        pixels_per_image (int): Values sampled per image and channel for the percentiles.
        rng (np.random.Generator): Generator of the sampling.
    """

    def __init__(self, num_channels, pixels_per_image, rng):
        self.count = 0
        self.mean = np.zeros(num_channels, np.float64)
        self.m2 = np.zeros(num_channels, np.float64)
        self.pixels_per_image = pixels_per_image
        self.rng = rng
        self.samples = []

    def update(self, values):
        """Add the pixels of one image, ``values`` of shape ``(N, C)``."""
        values = values.astype(np.float64)
        count = values.shape[0]
        mean = values.mean(axis=0)
        m2 = ((values - mean)**2).sum(axis=0)
        total = self.count + count
        delta = mean - self.mean
        self.m2 += m2 + delta**2 * self.count * count / total
        self.mean += delta * count / total
        self.count = total
        if count > self.pixels_per_image:
            values = values[self.rng.choice(count, self.pixels_per_image, replace=False)]
        self.samples.append(values.astype(np.float32))

    def result(self, percentiles):
        """``mean``, ``std`` (population) and ``percentiles`` lists, and ``pixels``."""
        samples = np.concatenate(self.samples)
        values = np.percentile(samples, percentiles, axis=0)
        return dict(
            mean=self.mean.tolist(), std=np.sqrt(self.m2 / self.count).tolist(),
            percentiles={f'{p:g}': row.tolist() for p, row in zip(percentiles, values)},
            pixels=int(self.count))


def compute_stats(dataset, percentiles=(1, 99), percentile_pixels=2_000_000, seed=0,
                  progress=True):
    """Per-modality channel statistics over every sample of ``dataset``.

    Args:
        dataset (BaseDataset): Dataset whose pipeline ends with ``LoadMultiModalImages``.
        percentiles (Sequence[float]): Percentiles to report. Defaults to (1, 99).
        percentile_pixels (int): Sampled values per channel for percentiles.
        seed (int): Seed of the sampling. Defaults to 0.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        dict: ``{modality: {'mean', 'std', 'percentiles', 'pixels'}}`` plus ``samples``.
    """
    rng = np.random.default_rng(seed)
    per_image = max(1, math.ceil(percentile_pixels / max(1, len(dataset))))
    stats = {}
    # Progress on stderr: stdout carries only the snippet and the JSON line.
    bar = ProgressBar(len(dataset), file=sys.stderr) if progress else None
    for index in range(len(dataset)):
        results = dataset.pipeline(dataset.get_data_info(index))
        img = results['img'] if results['img'].ndim == 3 else results['img'][..., None]
        if 'modalities' not in results and img.shape[2] == 3:
            img = img[..., ::-1]  # one colour image, loaded BGR by mmcv: measured as RGB
        start = 0
        for name, channels, present in zip(results.get('modalities', ('img', )),
                                           results.get('modality_channels', img.shape[2:]),
                                           results.get('modality_mask', (True, ))):
            if present:
                values = img[..., start:start + channels].reshape(-1, channels)
                stats.setdefault(name, ChannelStats(channels, per_image, rng)).update(values)
            start += channels
        if bar:
            bar.update()
    if bar:
        print(file=sys.stderr)
    out = {name: s.result(list(percentiles)) for name, s in stats.items()}
    out['samples'] = len(dataset)
    return out


def preprocessor_snippet(stats):
    """A ``data_preprocessor`` config line with the measured mean and std: per modality,
    or, for one image (``img``, RGB order), mmdet / mmseg's ``mean`` / ``std``."""
    def fmt(values):
        return '[' + ', '.join(f'{v:.2f}' for v in values) + ']'

    if set(stats) - {'samples'} == {'img'}:
        img = stats['img']
        bgr = ', bgr_to_rgb=True' if len(img['mean']) == 3 else ''
        return f'data_preprocessor = dict(mean={fmt(img["mean"])}, std={fmt(img["std"])}{bgr})'

    parts = [f'{name}=dict(mean={fmt(s["mean"])}, std={fmt(s["std"])})'
             for name, s in stats.items() if name != 'samples']
    return f'data_preprocessor = dict(modalities=dict({", ".join(parts)}))'


def main(argv=None):
    args = parse_args(argv)
    cfg = read_config(args.config, args.cfg_options)
    dataset = build_dataset(cfg, args.split, args.max_samples)
    stats = compute_stats(dataset, args.percentiles, args.percentile_pixels, args.seed)
    print(preprocessor_snippet(stats))
    print(json.dumps(dict(config=args.config, split=args.split, **stats)))
    return stats


if __name__ == '__main__':
    main()
