"""MaRS pretraining: time and peak memory of one training step, with each loss on / off,
each speed lever on / off, the default (the authors' method) against MaRS-Bench's previous
model, and against the MaRS authors' own code (``--authors-code``).

Each (arch, setting) runs in a fresh subprocess: the real ``model.train_step`` (data
preprocessor, forward, losses, backward, AdamW step) on a random 512x512 batch with SimMIM
masks. Peak memory: on GPU ``torch.cuda.max_memory_allocated``; on CPU the process's peak
resident set size (``resource.getrusage(...).ru_maxrss``, whole process: Python, libraries,
weights, optimizer state and activations) and its increase over the RSS measured just
before the first step. Prints JSON.

Setting ``authors_code`` builds the authors' ``DualEncoderMaRS`` from a checkout of their
repository (``--authors-code DIR``, the folder holding ``models/MaRS.py``; never part of
this repository; random weights, timm ``pretrained=False``) and times their training step
as their ``engine_pretrain.py`` runs it (their forward with all losses, CGCL
``contrast_type='cross'``; backward; ``torch.optim.AdamW`` with its defaults, betas 0.9/0.95,
weight decay 0.05; ``zero_grad``) on the same batch and mask. ``--rounds N`` runs the
settings N times interleaved (ABAB...), since a shared machine's timings drift; the summary
gives each setting's median and the ratios ours / theirs.

    python benchmarks/pretrain_step.py                        # tiny and base, CPU
    python benchmarks/pretrain_step.py --archs base --settings all_losses authors_code \
        --authors-code ../MaRS --rounds 2            # ABAB against the authors' code
    python benchmarks/pretrain_step.py --archs base large --device cuda --amp --repeats 10
"""
import argparse
import json
import os.path as osp
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
    'all_losses': {},  # the default model and optimizer of the shipped configs
    'no_reconstruction': dict(loss_rec_rgb=None, loss_rec_sar=None),
    'no_distillation': dict(loss_distill=None),
    'no_cgcl': dict(loss_cgcl=None),
    'reconstruction_only': dict(loss_distill=None, loss_cgcl=None),
    # Speed levers, each switched back to the slower way (the rest as in all_losses).
    'teacher_last': dict(teacher_first=False),  # the teacher after the students (authors')
    'arithmetic_masking': {},  # x * (1 - m) + token * m instead of torch.where
    'adamw_for_loop': {},  # torch.optim.AdamW's CPU default (the authors')
    'adamw_foreach': {},
    'no_lever': dict(teacher_first=False),  # every lever off: arithmetic masking, for-loop
    # Levers that are options (off by default).
    'with_cp': dict(with_cp=True),
    'compile_blocks': dict(compile_blocks=True),
    'compile_blocks_with_cp': dict(compile_blocks=True, with_cp=True),
    'authors_code': None,  # their DualEncoderMaRS (--authors-code)
    'previous_method': dict(
        shared_mask=False, final_norm=False, distill_after_mma=False, cgcl_after_mma=False,
        teacher_input='full',
        mma=dict(num_rounds=2, block='pre_norm', shared_intra=False, num_heads=None),
        loss_cgcl=dict(type='CrossGranularityContrastiveLoss', p2p_negatives='image',
                       renormalize_global=True)),
}
# AdamW implementation of each setting: the shipped configs' fused=True unless named here.
ADAMW = dict(adamw_for_loop=dict(foreach=False), adamw_foreach=dict(foreach=True),
             no_lever=dict(foreach=False))
ARITHMETIC_MASKING = ('arithmetic_masking', 'no_lever')
AUTHORS_ARCHS = dict(base='swinv2_base_window8_256', large='swinv2_large_window12to16_192to256')


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
    parser.add_argument('--authors-code', metavar='DIR',
                        help="checkout of the MaRS authors' repository (models/MaRS.py)")
    parser.add_argument('--threads', type=int,
                        help="torch threads (default torch's); 1 is steadier on a shared CPU")
    parser.add_argument('--rounds', type=int, default=1,
                        help='run all settings this many times, interleaved')
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


def arithmetic_fill_masked(x, mask, token):
    """The authors' masking, ``x * (1 - m) + token * m`` on the full feature map."""
    import torch.nn.functional as F
    weight = F.interpolate(mask[:, None].to(x.dtype), size=x.shape[1:3], mode='nearest')
    weight = weight[:, 0, ..., None]
    return x * (1 - weight) + token.to(x.dtype) * weight


def ours(arch, setting, args, data):
    """(model, step function) of MaRSPretrainModel under ``setting``."""
    import mars  # noqa: F401  (registers the modules)
    from mmengine.logging import MMLogger
    from mmengine.optim import build_optim_wrapper
    from mars.models.pretrain import mars_pretrain_model
    from mars.registry import MODELS

    MMLogger.get_instance('mmengine', log_level='ERROR')  # keep stdout pure JSON
    if setting in ARITHMETIC_MASKING:
        mars_pretrain_model.fill_masked = arithmetic_fill_masked
    model_cfg = dict(type='MaRSPretrainModel', arch=arch, with_cp=args.with_cp,
                     start_weights='random')  # speed does not depend on the weights
    model_cfg.update(SETTINGS[setting])
    model = MODELS.build(model_cfg)
    model.init_weights()
    model.to(args.device).train()
    wrapper_cfg = dict(type='OptimWrapper', optimizer=dict(
        type='AdamW', lr=5e-5, betas=(0.9, 0.95), weight_decay=0.05,
        **ADAMW.get(setting, dict(fused=True))))
    if args.amp:
        wrapper_cfg.update(type='AmpOptimWrapper', dtype='bfloat16')
    optim_wrapper = build_optim_wrapper(model, wrapper_cfg)

    def step():
        losses = model.train_step(data, optim_wrapper)
        return sorted(k for k in losses if k.startswith('loss_'))

    return model, step


def authors(arch, args, data):
    """(model, step function) of the authors' DualEncoderMaRS, stepped as their
    engine_pretrain.py does, on ``data`` normalised by our data preprocessor."""
    authors_model = osp.join(args.authors_code or '', 'models', 'MaRS.py')
    if not args.authors_code or not osp.isfile(authors_model):
        raise SystemExit(f"setting authors_code needs --authors-code DIR, a checkout of the "
                         f"MaRS authors' repository with models/MaRS.py; got "
                         f'{args.authors_code!r}')
    if arch not in AUTHORS_ARCHS:
        raise SystemExit(f"the authors' code has archs {sorted(AUTHORS_ARCHS)}, not {arch!r}")
    sys.path.insert(0, osp.abspath(args.authors_code))
    from models.MaRS import DualEncoderMaRS, SwinTransformerForMaRS
    from timm.optim import param_groups_weight_decay

    from mars.models.pretrain import MaRSPretrainDataPreProcessor

    def encoder(channels):
        return SwinTransformerForMaRS(AUTHORS_ARCHS[arch], img_size=args.size,
                                      in_chans=channels, pretrained=False)

    teacher = encoder(3)
    for param in teacher.parameters():
        param.requires_grad = False
    model = DualEncoderMaRS(encoder(3), encoder(1), teacher, encoder_stride=32,
                            contrast_type='cross').to(args.device).train()
    optimizer = torch.optim.AdamW(param_groups_weight_decay(model, 0.05), lr=5e-5,
                                  betas=(0.9, 0.95))
    normalised = MaRSPretrainDataPreProcessor().to(args.device)(data)
    inputs = normalised['inputs']
    images = torch.cat([inputs['rgb'], inputs['sar']], dim=1)
    # Their mask is on the 4-pixel patch grid: the 32-pixel mask repeated 8 x 8.
    mask = normalised['data_samples']['masks']['rgb'].to(args.device).bool()
    mask = mask.repeat_interleave(8, 1).repeat_interleave(8, 2)

    def step():
        with torch.autocast(device_type=args.device.split(':')[0], dtype=torch.bfloat16,
                            enabled=args.amp):
            loss, _, _ = model([images, mask], mask_ratio=0.6)
        loss.item()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return ['total_loss']

    return model, step


def run_child(arch, setting, args):
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    data = make_batch(args.batch, args.size, torch.Generator().manual_seed(0))
    if setting == 'authors_code':
        model, step = authors(arch, args, data)
    else:
        model, step = ours(arch, setting, args, data)
    cuda = args.device.startswith('cuda')
    rss_before = rss_mib()
    times, cpu_times = [], []
    for index in range(args.warmup + args.repeats):
        if cuda:
            torch.cuda.synchronize()
        start, cpu_start = time.perf_counter(), time.process_time()
        losses = step()
        if cuda:
            torch.cuda.synchronize()
        if index >= args.warmup:
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - cpu_start)
    step_s = statistics.median(times)
    result = dict(
        arch=arch, setting=setting, losses=losses,
        step_s=round(step_s, 3), images_per_s=round(args.batch / step_s, 3),
        # CPU seconds of the process per step (all threads): less sensitive than wall time
        # to other programs on a shared machine.
        cpu_s_per_step=round(statistics.median(cpu_times), 3),
        trainable_params_m=round(sum(p.numel() for p in model.parameters()
                                     if p.requires_grad) / 1e6, 2))
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
    if args.threads:
        forwarded.append(f'--threads={args.threads}')
    if args.authors_code:
        forwarded.append(f'--authors-code={args.authors_code}')
    results = []
    for round_index in range(args.rounds):
        for arch in args.archs:
            for setting in args.settings:
                out = subprocess.run(
                    [sys.executable, __file__, '--child', arch, setting, *forwarded],
                    check=True, stdout=subprocess.PIPE, text=True).stdout
                results.append(dict(json.loads(out.strip().splitlines()[-1]),
                                    round=round_index))
                print(json.dumps(results[-1]), file=sys.stderr)  # progress of long runs
    print(json.dumps(dict(
        benchmark='MaRS pretraining train_step', device=args.device,
        cpu=platform.processor() or platform.machine(), torch=torch.__version__,
        threads=args.threads or torch.get_num_threads(),
        input=[args.batch, 3, args.size, args.size],
        amp_bf16=args.amp, with_cp=args.with_cp, warmup=args.warmup, repeats=args.repeats,
        memory=('torch.cuda.max_memory_allocated' if args.device.startswith('cuda') else
                'peak RSS of a fresh process per setting (ru_maxrss)'),
        results=results, summary=summarise(results)), indent=2))


def summarise(results):
    """Per (arch, setting): median s/step, images/s and peak memory over the rounds, and
    its ratios to the authors' code (images/s ours / theirs, peak memory ours / theirs)."""
    memory_key = 'peak_gpu_mib' if 'peak_gpu_mib' in results[0] else 'peak_rss_mib'
    by_round = {(r['arch'], r['setting'], r['round']): r for r in results}
    summary = {}
    for result in results:
        entry = summary.setdefault(f"{result['arch']}/{result['setting']}",
                                   dict(step_s=[], cpu_s_per_step=[], memory=[]))
        entry['step_s'].append(result['step_s'])
        entry['cpu_s_per_step'].append(result['cpu_s_per_step'])
        entry['memory'].append(result[memory_key])
        theirs = by_round.get((result['arch'], 'authors_code', result['round']))
        if theirs and theirs is not result:  # the ratio within each round (ABAB pairs)
            entry.setdefault('images_per_s_vs_authors_per_round', []).append(
                round(theirs['step_s'] / result['step_s'], 3))
            entry.setdefault('cpu_s_vs_authors_per_round', []).append(
                round(result['cpu_s_per_step'] / theirs['cpu_s_per_step'], 3))
    for key, entry in summary.items():
        entry.update(step_s=statistics.median(entry['step_s']),
                     cpu_s_per_step=statistics.median(entry['cpu_s_per_step']),
                     **{memory_key: statistics.median(entry.pop('memory'))})
    for key, entry in summary.items():
        theirs = summary.get(key.split('/')[0] + '/authors_code')
        if theirs and theirs is not entry:
            entry['images_per_s_vs_authors'] = round(theirs['step_s'] / entry['step_s'], 3)
            entry['cpu_s_vs_authors'] = round(
                entry['cpu_s_per_step'] / theirs['cpu_s_per_step'], 3)
            entry['memory_vs_authors'] = round(entry[memory_key] / theirs[memory_key], 3)
    return summary


if __name__ == '__main__':
    main()
