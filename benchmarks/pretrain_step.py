"""MaRS pretraining: time and peak memory of one training step, with each loss on / off,
and of the default (the authors' method) against MaRS-Bench's previous model.

Each (arch, setting) runs in a fresh subprocess: the real ``model.train_step`` (data
preprocessor, forward, losses, backward, AdamW step) on a random 512x512 batch with SimMIM
masks. Peak memory: on GPU ``torch.cuda.max_memory_allocated``; on CPU the process's peak
resident set size (``resource.getrusage(...).ru_maxrss``, whole process: Python, libraries,
weights, optimizer state and activations) and its increase over the RSS measured just
before the first step. Prints JSON.

    python benchmarks/pretrain_step.py                        # tiny and base, CPU
    python benchmarks/pretrain_step.py --archs base large --device cuda --amp --repeats 10
"""
import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time

import torch

# Model overrides of each setting; 'all_losses' is the default model (the MaRS authors'
# method with their bugs fixed), 'previous_method' MaRS-Bench's model before it followed
# the authors' code (configs/pretrain/README.md, "Differences from the authors' code").
SETTINGS = {
    'all_losses': {},
    'no_reconstruction': dict(loss_rec_rgb=None, loss_rec_sar=None),
    'no_distillation': dict(loss_distill=None),
    'no_cgcl': dict(loss_cgcl=None),
    'reconstruction_only': dict(loss_distill=None, loss_cgcl=None),
    'previous_method': dict(
        shared_mask=False, final_norm=False, distill_after_mma=False, cgcl_after_mma=False,
        teacher_input='full',
        mma=dict(num_rounds=2, block='pre_norm', shared_intra=False, num_heads=None),
        loss_cgcl=dict(type='CrossGranularityContrastiveLoss', p2p_negatives='image',
                       renormalize_global=True)),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--archs', nargs='+', default=['tiny', 'base'])
    parser.add_argument('--settings', nargs='+', default=list(SETTINGS),
                        choices=list(SETTINGS))
    parser.add_argument('--size', type=int, default=512)
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=2, help='timed steps')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--amp', action='store_true', help='bf16 AmpOptimWrapper (GPU)')
    parser.add_argument('--with-cp', action='store_true', help='gradient checkpointing')
    parser.add_argument('--child', nargs=2, metavar=('ARCH', 'SETTING'),
                        help=argparse.SUPPRESS)
    return parser.parse_args()


def make_batch(batch, size, generator):
    grid = size // 32
    masks = {}
    for modality in ('rgb', 'sar'):
        scores = torch.rand(batch, grid * grid, generator=generator)
        ranks = scores.argsort(1).argsort(1)
        masks[modality] = (ranks < int(0.6 * grid * grid + 0.999)).to(torch.uint8).view(
            batch, grid, grid)
    return dict(
        inputs=dict(rgb=torch.randint(0, 256, (batch, 3, size, size), generator=generator,
                                      dtype=torch.uint8),
                    sar=torch.rand(batch, 1, size, size, generator=generator) * 255),
        data_samples=dict(sar_mean=torch.full((batch, ), 36.42),
                          sar_std=torch.full((batch, ), 33.89), masks=masks))


def rss_mib():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def run_child(arch, setting, args):
    import mars  # noqa: F401  (registers the modules)
    from mmengine.logging import MMLogger
    from mmengine.optim import build_optim_wrapper
    from mars.registry import MODELS

    MMLogger.get_instance('mmengine', log_level='ERROR')  # keep stdout pure JSON
    torch.manual_seed(0)
    model_cfg = dict(type='MaRSPretrainModel', arch=arch, with_cp=args.with_cp,
                     start_weights='random')  # speed does not depend on the weights
    model_cfg.update(SETTINGS[setting])
    model = MODELS.build(model_cfg)
    model.init_weights()
    model.to(args.device).train()
    wrapper_cfg = dict(type='OptimWrapper', optimizer=dict(
        type='AdamW', lr=5e-5, betas=(0.9, 0.95), weight_decay=0.05))
    if args.amp:
        wrapper_cfg.update(type='AmpOptimWrapper', dtype='bfloat16')
    optim_wrapper = build_optim_wrapper(model, wrapper_cfg)
    data = make_batch(args.batch, args.size, torch.Generator().manual_seed(0))
    cuda = args.device.startswith('cuda')
    rss_before = rss_mib()
    times = []
    for step in range(args.warmup + args.repeats):
        if cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        losses = model.train_step(data, optim_wrapper)
        if cuda:
            torch.cuda.synchronize()
        if step >= args.warmup:
            times.append(time.perf_counter() - start)
    step_s = statistics.median(times)
    result = dict(
        arch=arch, setting=setting, losses=sorted(k for k in losses if k.startswith('loss_')),
        step_s=round(step_s, 3), images_per_s=round(args.batch / step_s, 3),
        trainable_params_m=round(sum(p.numel() for p in model.parameters()) / 1e6, 2))
    if cuda:
        result['peak_gpu_mib'] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB
        result['peak_rss_mib'] = round(peak, 1)
        result['peak_rss_increase_during_steps_mib'] = round(peak - rss_before, 1)
    print(json.dumps(result))


def main():
    args = parse_args()
    if args.child:
        return run_child(*args.child, args)
    forwarded = [f'--size={args.size}', f'--batch={args.batch}', f'--warmup={args.warmup}',
                 f'--repeats={args.repeats}', f'--device={args.device}']
    forwarded += ['--amp'] * args.amp + ['--with-cp'] * args.with_cp
    results = []
    for arch in args.archs:
        for setting in args.settings:
            out = subprocess.run(
                [sys.executable, __file__, '--child', arch, setting, *forwarded],
                check=True, stdout=subprocess.PIPE, text=True).stdout
            results.append(json.loads(out.strip().splitlines()[-1]))
            print(json.dumps(results[-1]), file=sys.stderr)  # progress of long runs
    print(json.dumps(dict(
        benchmark='MaRS pretraining train_step', device=args.device,
        cpu=platform.processor() or platform.machine(), torch=torch.__version__,
        threads=torch.get_num_threads(), input=[args.batch, 3, args.size, args.size],
        amp_bf16=args.amp, with_cp=args.with_cp, warmup=args.warmup, repeats=args.repeats,
        memory=('torch.cuda.max_memory_allocated' if args.device.startswith('cuda') else
                'peak RSS of a fresh process per setting (ru_maxrss)'),
        results=results), indent=2))


if __name__ == '__main__':
    main()
