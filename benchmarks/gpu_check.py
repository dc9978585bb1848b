"""One GPU check: training speed, peak memory and finite losses of every task, fp32 and bf16.

For each task's base config, the real model and optimiser (``optim_wrapper`` of the config,
``AmpOptimWrapper(dtype='bfloat16')`` for bf16) run a few ``train_step`` calls on synthetic
inputs of the real size (512; WHU-CD 256; detection 800 x 800 and 1024 x 1024), through the
config's data preprocessor. Then the pretraining step (base and large, bf16, the per-GPU batch
of the shipped configs, with and without gradient checkpointing, ``cp`` in the table) runs
on the batches of ``benchmarks/pretrain_step.py``. Reported per row: iterations/s, peak
``torch.cuda.max_memory_allocated`` (GiB), whether every loss stayed finite, and for each
task the bf16 / fp32 speed ratio. Prints one table and writes JSON.

    python benchmarks/gpu_check.py --out gpu_check.json            # on a GPU
    python benchmarks/gpu_check.py --tiny --out tiny.json          # CPU smoke: tiny arch, 64 px

No weights are loaded (random initialisation): speed and memory do not depend on them.
"""
import argparse
import copy
import json
import math
import os.path as osp
import platform
import sys
import time

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
BASE_CHANNELS = {128: 32, 256: 64, 512: 128, 1024: 256}  # base -> tiny arch widths

# name, config, input kind, real input size (H, W).
TASKS = (
    ('road', 'configs/road/deepglobe/mars-base_upernet_8xb2-80k_deepglobe-512x512.py',
     'seg', (512, 512)),
    ('landcover', 'configs/landcover/earthmiss/mars-base_upernet_8xb2-40k_earthmiss-512x512.py',
     'seg', (512, 512)),
    ('height', 'configs/height/ubc/mars-base_uperhead_8xb2-40k_ubc-height-512x512.py',
     'height', (512, 512)),
    ('change', 'configs/change/whu_cd/mars-base_siamese-upernet_8xb4-40k_whu-cd-256x256.py',
     'seg', (256, 256)),
    ('damage', 'configs/change/bright/mars-base_siamese-upernet_8xb2-40k_bright-512x512.py',
     'seg', (512, 512)),
    ('detection', 'configs/detection/sardet100k/mars-base_cascade-rcnn_fpn_8xb2-1x_sardet100k.py',
     'det', (800, 800)),
    ('instances', 'configs/detection/ubcv2/mars-base_cascade-mask-rcnn_fpn_8xb2-1x_ubcv2.py',
     'det_mask', (1024, 1024)),
)
PRETRAIN_ARCHS = dict(base=16, large=12)  # per-GPU batch of the shipped pretraining configs
PRETRAIN_CONFIG = osp.join(REPO, 'configs', 'pretrain',
                           'mars-base_pretrain_8xb16-12e_mars16m-512x512.py')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--tiny', action='store_true',
                        help='CPU smoke: tiny arch, 64 px inputs, batch 2, one iteration per row')
    parser.add_argument('--iters', type=int, default=10, help='timed iterations per row')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--tasks', nargs='+', default=[t[0] for t in TASKS],
                        choices=[t[0] for t in TASKS])
    parser.add_argument('--no-pretrain', action='store_true', help='skip the pretraining rows')
    parser.add_argument('--out', help='JSON file for the results')
    return parser.parse_args()


def tiny_model_cfg(model_cfg):
    """``model_cfg`` with the tiny arch: backbone arch and the widths the heads read."""
    model_cfg = copy.deepcopy(model_cfg)
    model_cfg.backbone.arch = 'tiny'

    def shrink(value):
        if isinstance(value, (list, tuple)):
            return [BASE_CHANNELS.get(v, v) for v in value]
        return BASE_CHANNELS.get(value, value)

    for part in ('decode_head', 'auxiliary_head', 'neck'):
        if model_cfg.get(part) is not None and 'in_channels' in model_cfg[part]:
            model_cfg[part].in_channels = shrink(model_cfg[part].in_channels)
    return model_cfg


def input_channels(model):
    preprocessor = model.data_preprocessor
    if hasattr(preprocessor, 'modality_channels'):
        return sum(preprocessor.modality_channels)
    return 3


def make_batch(kind, model, size, batch, generator):
    """Raw inputs and data samples of ``kind``, as a dataloader would give them."""
    height, width = size
    channels = input_channels(model)
    inputs = [torch.randint(0, 256, (channels, height, width), generator=generator).float()
              for _ in range(batch)]
    samples = []
    for _ in range(batch):
        meta = dict(img_shape=size, ori_shape=size, pad_shape=size, scale_factor=(1., 1.),
                    img_path='synthetic.tif')
        if kind in ('seg', 'height'):
            from mmengine.structures import PixelData
            from mmseg.structures import SegDataSample
            sample = SegDataSample(metainfo=meta)
            num_classes = getattr(model.decode_head, 'num_classes', 2)
            if kind == 'seg':
                sample.gt_sem_seg = PixelData(data=torch.randint(
                    0, num_classes, (1, height, width), generator=generator))
            else:
                sample.gt_depth_map = PixelData(
                    data=torch.rand(1, height, width, generator=generator) * 30)
        else:
            from mmdet.structures import DetDataSample
            from mmdet.structures.mask import BitmapMasks
            from mmengine.structures import InstanceData
            sample = DetDataSample(metainfo=meta)
            corner = torch.rand(8, 2, generator=generator) * (min(size) * 0.7)
            boxes = torch.cat([corner, corner + 16 + torch.rand(
                8, 2, generator=generator) * (min(size) * 0.25)], dim=1)
            instances = InstanceData(bboxes=boxes, labels=torch.zeros(8, dtype=torch.long))
            if kind == 'det_mask':
                masks = torch.zeros(8, height, width, dtype=torch.uint8)
                for i, (x1, y1, x2, y2) in enumerate(boxes.long().tolist()):
                    masks[i, y1:y2, x1:x2] = 1
                instances.masks = BitmapMasks(masks.numpy(), height, width)
            sample.gt_instances = instances
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def task_row(name, config, kind, size, amp, args, device):
    """Time ``args.iters`` train steps of one task; returns a result dict."""
    from mmengine.config import Config
    from mmengine.model import revert_sync_batchnorm
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope

    from mars.utils.tool_config import config_scope

    cfg = Config.fromfile(osp.join(REPO, config))
    scope = config_scope(cfg)
    init_default_scope(scope)
    model_cfg = tiny_model_cfg(cfg.model) if args.tiny else cfg.model
    _drop_pretrained(model_cfg)
    registry = __import__(f'{scope}.registry', fromlist=['MODELS']).MODELS
    # One process: plain BatchNorm (SyncBN needs a process group); same cost per GPU.
    model = revert_sync_batchnorm(registry.build(model_cfg)).to(device).train()
    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    optim_cfg.pop('constructor', None)  # layer decay needs real arch names; plain AdamW here
    optim_cfg.pop('paramwise_cfg', None)
    if amp:
        optim_cfg.update(type='AmpOptimWrapper', dtype='bfloat16')
    optim_wrapper = build_optim_wrapper(model, optim_cfg)
    size = (64, 64) if args.tiny else size
    batch = 2 if args.tiny else cfg.train_dataloader.batch_size  # BatchNorm needs 2
    generator = torch.Generator().manual_seed(0)
    data = make_batch(kind, model, size, batch, generator)
    return _timed(lambda: model.train_step(data, optim_wrapper), args, device,
                  dict(task=name, config=config, precision='bf16' if amp else 'fp32',
                       input=list(size), batch=batch))


def _drop_pretrained(model_cfg):
    """No released weights are needed to measure speed: remove every init_cfg checkpoint."""
    if isinstance(model_cfg, dict):
        if (model_cfg.get('init_cfg') or {}).get('type') == 'Pretrained':
            model_cfg['init_cfg'] = None
        model_cfg.pop('pretrained', None)
        for value in model_cfg.values():
            _drop_pretrained(value)
    elif isinstance(model_cfg, (list, tuple)):
        for value in model_cfg:
            _drop_pretrained(value)


def _timed(step, args, device, row):
    cuda = device.type == 'cuda'
    finite = True
    iters = 1 if args.tiny else args.iters
    for _ in range(0 if args.tiny else args.warmup):
        step()
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(iters):
        losses = step()
        finite &= all(math.isfinite(float(v)) for k, v in losses.items() if 'loss' in k)
    if cuda:
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - start
    row.update(iters_per_s=iters / elapsed, finite_losses=finite,
               peak_gib=torch.cuda.max_memory_allocated() / 2**30 if cuda else None)
    return row


def pretrain_row(arch, batch, with_cp, args, device):
    """Time pretraining train steps (all losses, bf16 on a GPU) of one arch."""
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope

    from mars.registry import MODELS
    init_default_scope('mars')
    sys.path.insert(0, osp.join(REPO, 'benchmarks'))
    from pretrain_step import make_batch as pretrain_batch

    model = MODELS.build(dict(type='MaRSPretrainModel', arch=arch, with_cp=with_cp,
                              start_weights='random'))
    model.init_weights()
    model.to(device).train()
    # The shipped config's optimiser (fused AdamW, no decay on norms...), bf16 on a GPU.
    optim_cfg = copy.deepcopy(Config.fromfile(PRETRAIN_CONFIG).optim_wrapper)
    if device.type != 'cuda':
        optim_cfg.update(type='OptimWrapper')
        optim_cfg.pop('dtype', None)
    optim_wrapper = build_optim_wrapper(model, optim_cfg)
    size = 64 if args.tiny else 512
    data = pretrain_batch(batch, size, torch.Generator().manual_seed(0))
    return _timed(lambda: model.train_step(data, optim_wrapper), args, device, dict(
        task=f'pretrain-{arch}', precision='bf16' if device.type == 'cuda' else 'fp32',
        input=[size, size], batch=batch, with_cp=with_cp))


def pretrain_rows(args, device):
    archs = dict(tiny=2) if args.tiny else PRETRAIN_ARCHS
    return [pretrain_row(arch, batch, with_cp, args, device)
            for arch, batch in archs.items() for with_cp in (False, True)]


def table(rows):
    lines = ['| task | precision | input | batch | it/s | peak GiB | finite | bf16/fp32 |',
             '|---|---|---|---|---|---|---|---|']
    for row in rows:
        size = 'x'.join(map(str, row['input'])) + (' cp' if row.get('with_cp') else '')
        peak = '-' if row.get('peak_gib') is None else f'{row["peak_gib"]:.2f}'
        ratio = f'{row["bf16_speedup"]:.2f}' if 'bf16_speedup' in row else '-'
        lines.append(f'| {row["task"]} | {row["precision"]} | {size} | {row["batch"]} | '
                     f'{row["iters_per_s"]:.3f} | {peak} | {row["finite_losses"]} | {ratio} |')
    return '\n'.join(lines)


def main():
    args = parse_args()
    import mars  # noqa: F401  (registration)
    from mmengine.logging import MMLogger
    MMLogger.get_instance('mmengine', log_level='ERROR')  # the table, not init_weights logs
    device = torch.device('cuda' if torch.cuda.is_available() and not args.tiny else 'cpu')
    rows = []
    for name, config, kind, size in TASKS:
        if name not in args.tasks:
            continue
        fp32 = task_row(name, config, kind, size, False, args, device)
        rows.append(fp32)
        if device.type == 'cuda':
            bf16 = task_row(name, config, kind, size, True, args, device)
            bf16['bf16_speedup'] = bf16['iters_per_s'] / fp32['iters_per_s']
            rows.append(bf16)
    if not args.no_pretrain:
        rows += pretrain_rows(args, device)
    print(table(rows))
    result = dict(device=torch.cuda.get_device_name() if device.type == 'cuda' else
                  platform.processor() or 'cpu', torch=torch.__version__, tiny=args.tiny,
                  rows=rows)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
    print(json.dumps(result))
    if not all(row['finite_losses'] for row in rows):
        sys.exit('non-finite losses: see the table')


if __name__ == '__main__':
    main()
