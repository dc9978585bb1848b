"""MaRSBackbone vs raw timm SwinV2 ``features_only``: forward time and peak memory; or
(``--baselines``) parameters, FLOPs and forward time of MaRS and every comparison backbone.

Wrapper mode: both models hold the same weights and see the same input in the same
process; forward passes alternate between them so machine load affects both alike.
Baselines mode: every backbone is built (random weights), its parameters and FLOPs counted
by mmengine (a multiply-add counted once, as mmseg / mmdet report), then its forward timed
on the same input in the same run. Prints JSON.

    python benchmarks/backbone.py                      # base @ 512 and tiny @ 512
    python benchmarks/backbone.py --cases base:512 large:512 --repeats 10 --device cuda
    python benchmarks/backbone.py --baselines --device cuda      # all, 1x3x512x512
    python benchmarks/backbone.py --baselines --archs mars-tiny vit-tiny --size 64
"""
import argparse
import json
import platform
import statistics
import time

import timm
import torch

from mars.models.backbones import BaselineBackbone, MaRSBackbone
from mars.models.backbones.baselines import (BASELINE_ARCHS, CROMA_ARCHS, DOFA_ARCHS,
                                             CROMABackbone, DOFABackbone)
from mars.models.backbones.mars_backbone import MARS_ARCHS, PRETRAIN_IMG_SIZE

# The backbones of the paper's tables: MaRS, then the first tier of comparison models.
DEFAULT_BASELINES = ('mars-base', 'resnet50', 'vit-b16', 'swin-b', 'swinv2-b',
                     'satmae-vit-l16',
                     'scalemae-vit-l16', 'crossmae-vit-b16', 'gfm-swin-b',
                     'croma-base', 'dofa-vit-b16')
# Baselines with their own backbone class: arch table -> class.
OWN_CLASS_BASELINES = ((CROMA_ARCHS, CROMABackbone), (DOFA_ARCHS, DOFABackbone))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--cases', nargs='+', default=['base:512', 'tiny:512'],
                        help='arch:size pairs')
    parser.add_argument('--batch', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=5, help='timed forwards per model')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--baselines', action='store_true',
                        help='params, FLOPs and forward time of every backbone in --archs')
    parser.add_argument('--archs', nargs='+', default=list(DEFAULT_BASELINES),
                        help='with --baselines: mars-<arch>, BaselineBackbone, CROMABackbone '
                        'or DOFABackbone archs')
    parser.add_argument('--size', type=int, default=512, help='with --baselines: input side')
    return parser.parse_args()


def build_backbone(name):
    """``mars-<arch>`` (MaRSBackbone), a BaselineBackbone, CROMABackbone or DOFABackbone
    arch, random weights."""
    if name.startswith('mars-'):
        return MaRSBackbone(arch=name[len('mars-'):])
    for archs, backbone in OWN_CLASS_BASELINES:
        if name in archs:
            return backbone(arch=name)
    if name not in BASELINE_ARCHS:
        others = sorted(arch for archs, _ in OWN_CLASS_BASELINES for arch in archs)
        raise KeyError(f'unknown backbone {name!r}; expected mars-<one of '
                       f'{sorted(MARS_ARCHS)}> or one of {sorted(BASELINE_ARCHS) + others}')
    return BaselineBackbone(arch=name)


def run_baseline(name, args):
    from mmengine.analysis import FlopAnalyzer, parameter_count
    model = build_backbone(name).to(args.device).eval()
    x = torch.randn(args.batch, 3, args.size, args.size, device=args.device)
    with torch.no_grad():
        # Warnings off: they would be log lines on stdout, which must stay pure JSON
        # (norms, pads and similar elementwise operators are not counted, as in mmseg).
        flops = FlopAnalyzer(model, (x[:1], )).unsupported_ops_warnings(False) \
            .uncalled_modules_warnings(False).total()
        shapes = ['x'.join(map(str, f.shape[1:])) for f in model(x)]
        for _ in range(args.warmup):
            model(x)
        times = [timed_forward(model, x, args.device) for _ in range(args.repeats)]
    result = dict(
        backbone=name, type=type(model).__name__, input=[args.batch, 3, args.size, args.size],
        params_m=round(parameter_count(model)[''] / 1e6, 2), gflops=round(flops / 1e9, 2),
        forward_ms=round(statistics.median(times) * 1e3, 2),
        outputs=shapes, repeats=args.repeats)
    del model
    if args.device.startswith('cuda'):
        torch.cuda.empty_cache()
    return result


def build_pair(arch, device):
    spec = MARS_ARCHS[arch]
    reference = timm.create_model(
        spec['timm_name'], pretrained=False, features_only=True, img_size=PRETRAIN_IMG_SIZE,
        strict_img_size=False, **spec.get('timm_kwargs', {}))
    wrapper = MaRSBackbone(arch=arch)
    # Strict load, no log line: stdout stays pure JSON.
    wrapper.encoder.load_state_dict(reference.state_dict())
    return reference.to(device).eval(), wrapper.to(device).eval()


def synchronize(device):
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def timed_forward(model, x, device):
    synchronize(device)
    start = time.perf_counter()
    model(x)
    synchronize(device)
    return time.perf_counter() - start


def peak_memory_bytes(model, x, device):
    """Peak memory of the tensors a forward touches or allocates."""
    if device.startswith('cuda'):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        model(x)
        return torch.cuda.max_memory_allocated()
    # CPU has no allocator statistics: take the peak of the profiler's memory timeline
    # (tensors by category over time; torch-internal API, pinned with torch 2.14).
    from torch.profiler._memory_profiler import MemoryProfileTimeline
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU],
                                profile_memory=True, record_shapes=True,
                                with_stack=True) as prof:
        model(x)
    _, sizes = MemoryProfileTimeline(prof._memory_profile())._coalesce_timeline('cpu')
    return max(sum(per_category) for per_category in sizes)


def run_case(arch, size, args):
    reference, wrapper = build_pair(arch, args.device)
    x = torch.randn(args.batch, 3, size, size, device=args.device)
    with torch.no_grad():
        ref_out = [f.permute(0, 3, 1, 2) for f in reference(x)]
        same = all(torch.equal(a, b) for a, b in zip(wrapper(x), ref_out))
        del ref_out
        for _ in range(args.warmup):
            reference(x), wrapper(x)
        times = {'timm': [], 'mars': []}
        for _ in range(args.repeats):
            times['timm'].append(timed_forward(reference, x, args.device))
            times['mars'].append(timed_forward(wrapper, x, args.device))
        peaks = {'timm': peak_memory_bytes(reference, x, args.device),
                 'mars': peak_memory_bytes(wrapper, x, args.device)}
    timm_s, mars_s = (statistics.median(times[k]) for k in ('timm', 'mars'))
    return dict(
        arch=arch, timm_model=MARS_ARCHS[arch]['timm_name'], input=[args.batch, 3, size, size],
        outputs_identical=same,
        timm_forward_ms=round(timm_s * 1e3, 2), mars_forward_ms=round(mars_s * 1e3, 2),
        time_overhead_pct=round((mars_s / timm_s - 1) * 100, 2),
        timm_peak_mib=round(peaks['timm'] / 2**20, 1),
        mars_peak_mib=round(peaks['mars'] / 2**20, 1),
        memory_overhead_pct=round((peaks['mars'] / peaks['timm'] - 1) * 100, 2),
        repeats=args.repeats)


def main():
    args = parse_args()
    torch.manual_seed(0)
    if args.baselines:
        results = [run_baseline(name, args) for name in args.archs]
        print(json.dumps(dict(
            benchmark='backbones: params, FLOPs (one image), forward time', device=args.device,
            cpu=platform.processor() or platform.machine(), torch=torch.__version__,
            timm=timm.__version__, threads=torch.get_num_threads(), results=results),
            indent=2))
        return
    results = []
    for case in args.cases:
        arch, size = case.split(':')
        results.append(run_case(arch, int(size), args))
    print(json.dumps(dict(
        benchmark='MaRSBackbone vs timm features_only forward', device=args.device,
        cpu=platform.processor() or platform.machine(), torch=torch.__version__,
        timm=timm.__version__, threads=torch.get_num_threads(), results=results), indent=2))


if __name__ == '__main__':
    main()
