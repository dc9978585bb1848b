"""Collect the results of tools/test.py runs into one table (Markdown and CSV).

Usage::

    python tools/misc/results_table.py WORK_DIR [WORK_DIR ...] [--by-backbone]
        [--out results.md] [--csv results.csv]

Every ``test_results.json`` under the given directories (``tools/test.py`` writes one into
its work dir) becomes a row with the headline metrics of its task, found from the metric
names: detection ``coco/bbox_mAP`` (+ ``segm``), EarthMiss mIoU per availability pattern,
height MAE / RMSE (metres), change IoU / F1 of the change class, BRIGHT damage mIoU /
loc-F1 / damage-F1, roads IoU / F1 of the road class, other segmentation mIoU. Params
and FLOPs come from a ``complexity.json`` in the same work dir
(``tools/analysis_tools/get_flops.py CONFIG --out WORK_DIR/complexity.json``).

``--by-backbone`` lays the same results out as the paper's tables: one row per backbone
(``backbone.name`` of the result file, which ``tools/test.py`` writes), one column per
dataset and headline metric. Two results of one backbone on one dataset (e.g. the paper
protocol and this project's recipe) are refused, naming both files: give the work dirs of
one protocol at a time.
"""
import argparse
import csv
import glob
import json
import os.path as osp

# (task, keys that identify it, headline keys in column order); the first match wins.
TASKS = (
    ('detection', ('coco/bbox_mAP', ), ('coco/bbox_mAP', 'coco/bbox_mAP_50',
                                        'coco/segm_mAP')),
    ('damage (BRIGHT)', ('damage_F1', ), ('mIoU', 'loc_F1', 'damage_F1')),
    ('change', ('IoU.change', ), ('IoU.change', 'F1.change', 'Precision.change',
                                  'Recall.change')),
    ('height', ('MAE', 'RMSE'), ('MAE', 'RMSE', 'building_MAE', 'building_RMSE')),
    ('missing-modality land cover', ('rgb+sar/mIoU', ), ('rgb+sar/mIoU', 'rgb/mIoU',
                                                         'sar/mIoU')),
    ('roads', ('IoU.road', ), ('IoU.road', 'F1.road', 'mIoU')),
    ('segmentation', ('mIoU', ), ('mIoU', 'aAcc')),
)
COLUMNS = ('task', 'dataset', 'config', 'metrics', 'params (M)', 'FLOPs (G)', 'checkpoint')


def parse_args():
    parser = argparse.ArgumentParser(description='One table of tools/test.py results')
    parser.add_argument('dirs', nargs='+', help='work dirs (searched recursively)')
    parser.add_argument('--by-backbone', action='store_true',
                        help='rows are backbones, columns datasets and their metrics')
    parser.add_argument('--out', help='Markdown file (default: print only)')
    parser.add_argument('--csv', help='CSV file with one column per metric')
    return parser.parse_args()


def task_of(metrics):
    """``(task, headline keys present)`` of a metrics dict."""
    for task, needed, headline in TASKS:
        if all(key in metrics for key in needed):
            return task, [key for key in headline if key in metrics]
    return 'other', sorted(metrics)[:4]


def read_result(path):
    """One ``test_results.json``, refused by name when cut short or not one of ours."""
    with open(path) as f:
        text = f.read()
    try:
        result = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f'{path} is not complete JSON ({error}): a half-written result, '
                         'e.g. of a killed tools/test.py; run the test again') from error
    if not isinstance(result, dict) or 'config' not in result or \
            not isinstance(result.get('metrics'), dict):
        keys = sorted(result) if isinstance(result, dict) else type(result).__name__
        raise ValueError(f'{path} is not a tools/test.py result: expected "config" and a '
                         f'"metrics" dict, got {keys}')
    return result


def collect(dirs):
    rows = []
    for directory in dirs:
        files = sorted(glob.glob(osp.join(directory, '**', 'test_results.json'),
                                 recursive=True))
        if osp.isfile(directory):
            files = [directory]
        if not files:
            raise FileNotFoundError(f'no test_results.json under {directory}; run '
                                    'tools/test.py with this work dir first')
        for file in files:
            result = read_result(file)
            task, keys = task_of(result['metrics'])
            complexity = {}
            complexity_file = osp.join(osp.dirname(file), 'complexity.json')
            if osp.isfile(complexity_file):
                with open(complexity_file) as f:
                    complexity = json.load(f)
            backbone = result.get('backbone') or {}
            rows.append(dict(
                file=file, backbone=backbone.get('name') or f'unknown ({result["config"]})',
                task=task, dataset=result.get('dataset') or '-', config=result['config'],
                checkpoint=result.get('checkpoint', '-'),
                headline={key: result['metrics'][key] for key in keys},
                params=complexity.get('params'), flops=complexity.get('flops'),
                flops_shape=complexity.get('shape')))
    order = [task for task, _, _ in TASKS] + ['other']
    return sorted(rows, key=lambda r: (order.index(r['task']), r['dataset'], r['config']))


def _millions(value, scale):
    return '-' if value is None else f'{value / scale:.2f}'


def markdown(rows):
    lines = ['| ' + ' | '.join(COLUMNS) + ' |', '|' + '---|' * len(COLUMNS)]
    for row in rows:
        metrics = ', '.join(f'{key} {value:.2f}' for key, value in row['headline'].items())
        flops = _millions(row['flops'], 1e9)
        if row['flops'] is not None and row['flops_shape']:
            flops += f' @{row["flops_shape"][1]}x{row["flops_shape"][2]}'
        lines.append('| ' + ' | '.join([
            row['task'], row['dataset'], row['config'], metrics,
            _millions(row['params'], 1e6), flops, osp.basename(row['checkpoint'] or '-')
        ]) + ' |')
    return '\n'.join(lines) + '\n'


def write_csv(rows, path):
    keys = []
    for row in rows:
        keys += [key for key in row['headline'] if key not in keys]
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['task', 'dataset', 'config', *keys, 'params', 'flops', 'checkpoint'])
        for row in rows:
            writer.writerow([row['task'], row['dataset'], row['config'],
                             *[row['headline'].get(key, '') for key in keys],
                             row['params'] or '', row['flops'] or '', row['checkpoint']])


def by_backbone(rows):
    """``(columns, {backbone: {column: value}})``: a column per (dataset, headline metric),
    in the rows' task order; backbones in first-seen order.

    Raises:
        ValueError: two results of one backbone on one dataset.
    """
    columns, table, seen = [], {}, {}
    for row in rows:
        key = (row['backbone'], row['dataset'])
        if key in seen:
            raise ValueError(f'two results of backbone {row["backbone"]!r} on '
                             f'{row["dataset"]}: {seen[key]} and {row["file"]}; give the work '
                             'dirs of one protocol at a time')
        seen[key] = row['file']
        for metric, value in row['headline'].items():
            column = f'{row["dataset"]} {metric}'
            if column not in columns:
                columns.append(column)
            table.setdefault(row['backbone'], {})[column] = value
    return columns, table


def markdown_by_backbone(rows):
    columns, table = by_backbone(rows)
    lines = ['| backbone | ' + ' | '.join(columns) + ' |', '|' + '---|' * (len(columns) + 1)]
    for backbone, values in table.items():
        cells = [f'{values[c]:.2f}' if c in values else '-' for c in columns]
        lines.append(f'| {backbone} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def write_csv_by_backbone(rows, path):
    columns, table = by_backbone(rows)
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['backbone', *columns])
        for backbone, values in table.items():
            writer.writerow([backbone, *[values.get(c, '') for c in columns]])


def main():
    args = parse_args()
    rows = collect(args.dirs)
    table = markdown_by_backbone(rows) if args.by_backbone else markdown(rows)
    print(table)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(table)
    if args.csv:
        (write_csv_by_backbone if args.by_backbone else write_csv)(rows, args.csv)


if __name__ == '__main__':
    main()
