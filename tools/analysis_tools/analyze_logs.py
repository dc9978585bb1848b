"""Plot training curves (losses, learning rate, validation metrics) from mmengine logs.

Usage::

    python tools/analysis_tools/analyze_logs.py LOG [LOG ...] --keys loss mIoU
        [--legend NAME ...] --out curves.png

``LOG`` is an mmengine scalar log: ``<work dir>/<timestamp>/vis_data/scalars.json`` (or
``<timestamp>.json`` beside it; a work dir or timestamp dir is searched for them), one
JSON record per line with a ``step`` (iteration, or epoch for validation records). Each
key gets its own subplot, one line per log; a summary of each key (last, min, max) is
printed.
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys

import matplotlib

matplotlib.use('Agg')  # files only, no display needed
import matplotlib.pyplot as plt  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description='Plot curves from mmengine scalar logs')
    parser.add_argument('logs', nargs='+', help='scalars.json files, or work dirs')
    parser.add_argument('--keys', nargs='+', default=['loss'],
                        help='logged keys to plot (e.g. loss decode.loss_ce lr mIoU)')
    parser.add_argument('--legend', nargs='+', help='one name per log (default: path)')
    parser.add_argument('--out', required=True, help='output image (PNG, PDF, SVG...)')
    return parser.parse_args()


def find_log(path):
    """The scalar log of ``path`` (a file, or the newest one under a directory)."""
    if osp.isfile(path):
        return path
    found = sorted(glob.glob(osp.join(path, '**', 'vis_data', 'scalars.json'),
                             recursive=True), key=osp.getmtime)
    if not found:
        raise FileNotFoundError(f'no vis_data/scalars.json under {path}')
    return found[-1]


def load_curves(path):
    """``{key: ([steps], [values])}`` of every numeric key of a JSON-lines log."""
    curves = {}
    with open(path) as f:
        lines = [(number, line) for number, line in enumerate(f, 1) if line.strip()]
    for number, line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            if number == lines[-1][0]:
                # The last record of a run killed while logging: keep the complete ones.
                print(f'warning: {path}:{number} is cut short ({error}); plotting the '
                      f'{len(lines) - 1} complete records before it', file=sys.stderr)
                break
            raise ValueError(f'{path}:{number} is not a JSON record: {error}') from error
        step = record.get('step', record.get('iter', record.get('epoch')))
        for key, value in record.items():
            if key not in ('step', 'iter', 'epoch') and isinstance(value, (int, float)):
                steps, values = curves.setdefault(key, ([], []))
                steps.append(step)
                values.append(value)
    return curves


def main():
    args = parse_args()
    logs = [find_log(path) for path in args.logs]
    legend = args.legend or logs
    if len(legend) != len(logs):
        raise SystemExit(f'--legend has {len(legend)} names for {len(logs)} logs')
    curves = [load_curves(log) for log in logs]
    fig, axes = plt.subplots(len(args.keys), 1, figsize=(8, 3 * len(args.keys)),
                             squeeze=False)
    for ax, key in zip(axes[:, 0], args.keys):
        for name, log, log_curves in zip(legend, logs, curves):
            if key not in log_curves:
                raise KeyError(f'{key!r} is not in {log}; logged keys: '
                               f'{sorted(log_curves)}')
            steps, values = log_curves[key]
            ax.plot(steps, values, marker='o' if len(values) < 20 else None, label=name)
            print(f'{name}: {key} last {values[-1]:.4f} min {min(values):.4f} '
                  f'max {max(values):.4f} ({len(values)} points)')
        ax.set_xlabel('step')
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    fig.savefig(args.out, dpi=120)
    print(f'curves written to {args.out}')


if __name__ == '__main__':
    main()
