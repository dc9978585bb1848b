"""Parameters and FLOPs of a config's model at a given input size.

Usage::

    python tools/analysis_tools/get_flops.py CONFIG [--shape 512 512] [--out complexity.json]

FLOPs are mmengine's count (one multiply-add = one FLOP, as mmseg / mmdet report) of the
tensor forward (backbone, neck and heads; no post-processing such as NMS) on one input
with all modalities stacked (e.g. 4 x H x W for RGB + SAR). ``--out`` in a work dir next to
``test_results.json`` puts the numbers in ``tools/misc/results_table.py``'s table.
"""
import argparse
import json
import os
import os.path as osp

import mars  # noqa: F401  (registration)
from mars.apis import init_model
from mars.apis.complexity import model_complexity
from mars.utils.tool_config import CfgOptionsAction


def parse_args():
    parser = argparse.ArgumentParser(description='Parameters and FLOPs of a model')
    parser.add_argument('config', help='config file')
    parser.add_argument('--shape', type=int, nargs='+', default=[512, 512],
                        help='input size: H W (or one value for a square)')
    parser.add_argument('--out', help='write the numbers as JSON to this file')
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help='override settings of the config, key=value')
    return parser.parse_args()


def main():
    args = parse_args()
    if len(args.shape) not in (1, 2):
        raise SystemExit(f'--shape takes H W or one size, got {args.shape}')
    shape = tuple(args.shape) * (3 - len(args.shape))
    model = init_model(args.config, cfg_options=args.cfg_options)
    result = dict(config=osp.splitext(osp.basename(args.config))[0],
                  **model_complexity(model, shape))
    split = '=' * 40
    print(f'{split}\nInput shape: {tuple(result["shape"])}\nFlops: {result["flops_str"]}\n'
          f'Params: {result["params_str"]}\n{split}')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
        print(f'written to {args.out}')


if __name__ == '__main__':
    main()
