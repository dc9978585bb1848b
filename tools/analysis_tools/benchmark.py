"""Inference speed of a model: images/s, latency and peak memory, as JSON.

Usage::

    python tools/analysis_tools/benchmark.py CONFIG [CHECKPOINT] [--shape 512 512]
        [--num-iters 20] [--num-warmup 5] [--batch-size 1] [--device cpu] [--out FILE]

Each iteration runs the whole inference path of :func:`mars.apis.inference_model`: the
config's test pipeline on in-memory random inputs of the model's modalities and channels,
the data preprocessor and ``predict`` (post-processing included). Peak memory is the
process's peak RSS on the CPU and the peak allocated CUDA memory on a GPU.
"""
import argparse
import json
import os
import os.path as osp
import resource
import time

import numpy as np
import torch

import mars  # noqa: F401  (registration)
from mars.apis import InferencePipeline, inference_model, init_model
from mars.utils.tool_config import CfgOptionsAction


def parse_args():
    parser = argparse.ArgumentParser(description='Benchmark model inference')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint (default: random weights)')
    parser.add_argument('--shape', type=int, nargs='+', default=[512, 512],
                        help='input size: H W (or one value for a square)')
    parser.add_argument('--num-iters', type=int, default=20, help='timed iterations')
    parser.add_argument('--num-warmup', type=int, default=5, help='untimed iterations first')
    parser.add_argument('--batch-size', type=int, default=1, help='images per iteration')
    parser.add_argument('--device', default='cpu', help='device, e.g. cpu or cuda:0')
    parser.add_argument('--out', help='also write the JSON to this file')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='override settings of the config, key=value')
    return parser.parse_args()


def random_input(pipeline, shape, rng):
    """One input in the model's form: an image, or a dict of modalities / dates."""
    def image(channels):
        size = shape if channels == 1 else (*shape, channels)
        return rng.integers(0, 256, size, dtype=np.uint8)

    if pipeline.modalities is None:
        channels = getattr(pipeline.loader, 'channels', None)
        return image(channels if isinstance(channels, int) else 3)
    return {name: image(pipeline.loader.channels[name]) for name in pipeline.modalities}


def peak_memory_mb(device):
    if str(device).startswith('cuda'):
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10  # KiB on Linux


def main():
    args = parse_args()
    if len(args.shape) not in (1, 2):
        raise SystemExit(f'--shape takes H W or one size, got {args.shape}')
    shape = tuple(args.shape) * (3 - len(args.shape))
    model = init_model(args.config, args.checkpoint, args.device, args.cfg_options)
    pipeline = InferencePipeline(model.cfg)
    rng = np.random.default_rng(0)
    batch = [random_input(pipeline, shape, rng) for _ in range(args.batch_size)]
    cuda = str(args.device).startswith('cuda')
    if cuda:
        torch.cuda.reset_peak_memory_stats(args.device)
    latencies = []
    for index in range(args.num_warmup + args.num_iters):
        if cuda:
            torch.cuda.synchronize(args.device)
        start = time.perf_counter()
        inference_model(model, list(batch), pipeline)
        if cuda:
            torch.cuda.synchronize(args.device)
        if index >= args.num_warmup:
            latencies.append(time.perf_counter() - start)
    latencies = np.array(latencies)
    result = dict(
        config=osp.splitext(osp.basename(args.config))[0], device=str(args.device),
        shape=list(shape), batch_size=args.batch_size, num_iters=args.num_iters,
        torch_threads=torch.get_num_threads(),
        images_per_s=round(args.batch_size * len(latencies) / float(latencies.sum()), 3),
        latency_ms_mean=round(float(latencies.mean()) * 1e3, 2),
        latency_ms_median=round(float(np.median(latencies)) * 1e3, 2),
        peak_memory_mb=round(peak_memory_mb(args.device), 1),
        peak_memory_kind='cuda max allocated' if cuda else 'process peak RSS')
    print(json.dumps(result, indent=2))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)


if __name__ == '__main__':
    main()
