"""Test (and evaluate) a MaRS-Bench checkpoint with an mmseg-scope or mmdet-scope config.

Usage (single process)::

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out OUT] [--show]
                                           [--show-dir DIR] [--tta]
                                           [--allow-partial-checkpoint] [--cfg-options ...]

The checkpoint must fit the model exactly: a missing, unexpected or shape-mismatched key
(another class count, an RGB checkpoint for an RGB + SAR config) is refused, naming the
keys, unless ``--allow-partial-checkpoint`` is given.

``--out`` and ``--show-dir`` follow the library of the config's ``default_scope``:

* mmseg: ``--out DIR`` writes the predicted label maps as PNGs into DIR (the evaluator's
  ``output_dir`` / ``keep_results``); ``--show-dir DIR`` draws every test image with its
  prediction into ``DIR/vis_data/vis_image/`` (DIR relative to the work dir unless absolute).
* mmdet: ``--out FILE.pkl`` dumps the raw predictions (``DumpDetResults``);
  ``--show-dir DIR`` draws them into ``<work dir>/<timestamp>/DIR`` (unless absolute).

The metrics are also written with the config name, backbone and checkpoint to
``<work dir>/test_results.json``, which ``tools/misc/results_table.py`` collects.
"""
import argparse
import copy
import json
import numbers
import os
import os.path as osp

from mmengine.config import ConfigDict

# Registers the MaRS modules and installs the torch >= 2.6 checkpoint loader, before the
# checkpoint under test is read.
import mars  # noqa: F401
from mars.models.backbone_name import backbone_name
from mars.utils.checkpoint_check import add_allow_partial_arg
from mars.utils.output_files import atomic_write
from mars.utils.tool_config import add_common_args, load_tool_config, run_runner

PICKLE_SUFFIXES = ('.pkl', '.pickle')


def parse_args():
    parser = argparse.ArgumentParser(description='Test (and evaluate) a MaRS-Bench model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--out',
        help='mmseg configs: directory for the predicted label maps (PNG); mmdet configs: '
        'pickle file (.pkl) for the raw predictions, for offline evaluation')
    parser.add_argument('--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory to save the drawn predictions in; a relative path is taken under '
        'the work dir (mmdet: under <work dir>/<timestamp>)')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument('--tta', action='store_true', help='test-time augmentation')
    add_allow_partial_arg(parser)
    add_common_args(parser)
    return parser.parse_args()


def visualization_hook_cfg(cfg):
    hook = cfg.get('default_hooks', {}).get('visualization')
    if hook is None:
        raise RuntimeError(
            '--show / --show-dir need a visualization hook in default_hooks, e.g. '
            "visualization=dict(type='SegVisualizationHook') (mmseg) or "
            "dict(type='DetVisualizationHook') (mmdet)")
    return hook


def enable_visualization(cfg, args, scope):
    """Turn the visualization hook on for ``--show`` / ``--show-dir``."""
    hook = visualization_hook_cfg(cfg)
    hook.draw = True
    if args.show:
        hook.show = True
        hook.wait_time = args.wait_time
    if scope == 'mmseg':
        # SegVisualizationHook draws every `interval`-th batch (50 by default); a user asking
        # for drawings of a test run wants all of them unless the config says otherwise.
        hook.setdefault('interval', 1)
        if args.show_dir:
            cfg.visualizer.save_dir = osp.join(cfg.work_dir, args.show_dir)
    elif args.show_dir:
        # DetVisualizationHook itself puts a relative directory under work_dir/timestamp.
        hook.test_out_dir = args.show_dir


def _test_evaluator_cfgs(cfg):
    evaluator = cfg.test_evaluator
    return evaluator if isinstance(evaluator, list) else [evaluator]


def enable_output(cfg, out, scope):
    """Save the predictions as the config's library does for ``--out``."""
    if scope == 'mmseg':
        for metric in _test_evaluator_cfgs(cfg):
            metric.output_dir = out
            metric.keep_results = True
        return
    if not out.endswith(PICKLE_SUFFIXES):
        raise ValueError(f'--out for mmdet configs is a pickle file ({PICKLE_SUFFIXES}), '
                         f'got {out!r}')
    cfg.test_evaluator = _test_evaluator_cfgs(cfg) + [
        dict(type='DumpDetResults', out_file_path=out)]


def _innermost_dataset(dataset_cfg):
    # Wrappers such as ConcatDataset / RepeatDataset keep the real dataset in `dataset`.
    while 'dataset' in dataset_cfg:
        dataset_cfg = dataset_cfg.dataset
    return dataset_cfg


def default_det_tta_pipeline(cfg):
    """Horizontal-flip TTA built from the test pipeline, as mmdet's tool does."""
    pipeline = copy.deepcopy(_innermost_dataset(cfg.test_dataloader.dataset).pipeline)
    pack = pipeline[-1]
    pipeline[-1] = dict(
        type='TestTimeAug',
        transforms=[
            [dict(type='RandomFlip', prob=1.), dict(type='RandomFlip', prob=0.)],
            [dict(
                type=pack.get('type', 'PackDetInputs'),
                meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
                           'flip', 'flip_direction'))],
        ])
    return pipeline


def enable_tta(cfg, scope):
    """Wrap the model in ``tta_model`` and test with ``tta_pipeline``."""
    if 'tta_model' not in cfg:
        raise KeyError(f'--tta needs `tta_model` in {cfg.filename} (the default runtimes '
                       'define it)')
    if 'tta_pipeline' not in cfg:
        if scope == 'mmseg':
            raise KeyError(f'--tta needs `tta_pipeline` in {cfg.filename} (mmseg: scales '
                           'and flips of TestTimeAug)')
        cfg.tta_pipeline = default_det_tta_pipeline(cfg)
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline


def write_results(cfg, args, scope, metrics):
    """``<work dir>/test_results.json``: config, checkpoint, backbone (type and name) and
    scalar metrics (rank 0)."""
    if int(os.environ.get('RANK', 0)) != 0 or not isinstance(metrics, dict):
        return
    backbone_cfg = cfg.model.get('backbone') or {}
    results = dict(
        config=osp.splitext(osp.basename(args.config))[0], config_path=args.config,
        checkpoint=args.checkpoint, scope=scope,
        dataset=_innermost_dataset(cfg.test_dataloader.dataset).get('type'),
        backbone=dict(type=str(backbone_cfg.get('type', '-')), name=backbone_name(backbone_cfg)),
        metrics={key: float(value) for key, value in metrics.items()
                 if isinstance(value, numbers.Number)})
    # Atomic: a killed run leaves no half-written result for results_table.py to read.
    atomic_write(json.dumps(results, indent=2), osp.join(cfg.work_dir, 'test_results.json'),
                 mode='w')


def main():
    args = parse_args()
    cfg, scope = load_tool_config(args)
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        enable_visualization(cfg, args, scope)
    if args.tta:
        enable_tta(cfg, scope)
    if args.out is not None:
        enable_output(cfg, args.out, scope)
    metrics = run_runner(cfg, 'test', strict_checkpoint=not args.allow_partial_checkpoint)
    write_results(cfg, args, scope, metrics)


if __name__ == '__main__':
    main()
