"""Command-line handling of tools/train.py and tools/test.py, without running them."""
import os.path as osp
import sys

import pytest
from helpers import REPO_ROOT, load_tool
from mmengine.config import Config

from mars.utils.tool_config import config_scope, load_tool_config


@pytest.fixture(scope='module')
def tool_train():
    return load_tool('train.py')


@pytest.fixture(scope='module')
def tool_test():
    return load_tool('test.py')


def _parse(tool, monkeypatch, *argv):
    monkeypatch.setattr(sys, 'argv', [f'{tool.__name__}.py', *argv])
    # parse_args exports LOCAL_RANK like mmseg's tools; keep it out of this process's env.
    monkeypatch.setenv('LOCAL_RANK', '0')
    return tool.parse_args()


@pytest.mark.parametrize('argv, resume, load_from', [
    ([], False, 'config.pth'),  # no flag: the config decides
    (['--resume'], True, None),  # flag alone (mmseg): latest checkpoint of the work dir
    (['--resume', 'ckpt/iter_2.pth'], True, 'ckpt/iter_2.pth'),  # path (mmdet)
])
def test_resume_forms(tool_train, monkeypatch, argv, resume, load_from):
    args = _parse(tool_train, monkeypatch, 'cfg.py', *argv)
    cfg = Config(dict(resume=False, load_from='config.pth'))
    tool_train.apply_resume(cfg, args.resume)
    assert (cfg.resume, cfg.load_from) == (resume, load_from)


def test_resume_flag_before_other_flags(tool_train, monkeypatch):
    args = _parse(tool_train, monkeypatch, 'cfg.py', '--resume', '--amp')
    assert args.resume == 'auto' and args.amp


def test_local_rank_spellings(tool_train, tool_test, monkeypatch):
    assert _parse(tool_train, monkeypatch, 'cfg.py', '--local-rank', '1').local_rank == 1
    assert _parse(tool_test, monkeypatch, 'cfg.py', 'ckpt.pth',
                  '--local_rank', '1').local_rank == 1


def test_work_dir_defaults_to_config_name(tool_train, monkeypatch):
    config = osp.join(REPO_ROOT, 'configs/road/deepglobe/'
                      'mars-base_upernet_8xb2-80k_deepglobe-512x512.py')
    args = _parse(tool_train, monkeypatch, config, '--cfg-options', 'train_cfg.max_iters=5')
    cfg, scope = load_tool_config(args)
    assert scope == 'mmseg' and cfg.train_cfg.max_iters == 5
    assert cfg.work_dir == osp.join('./work_dirs', 'mars-base_upernet_8xb2-80k_deepglobe-512x512')
    args = _parse(tool_train, monkeypatch, config, '--work-dir', 'elsewhere')
    assert load_tool_config(args)[0].work_dir == 'elsewhere'


def test_amp_only_for_plain_optim_wrapper(tool_train):
    cfg = Config(dict(optim_wrapper=dict(type='OptimWrapper')))
    tool_train.enable_amp(cfg)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    with pytest.raises(ValueError, match='OptimWrapper'):
        tool_train.enable_amp(Config(dict(optim_wrapper=dict(type='OtherWrapper'))))


def test_unknown_scope_is_refused():
    with pytest.raises(ValueError, match='default_scope'):
        config_scope(Config(dict(default_scope='mmpretrain')))


def test_seg_out_sets_evaluator_output_dir(tool_test):
    cfg = Config(dict(test_evaluator=dict(type='IoUMetric')))
    tool_test.enable_output(cfg, 'preds', 'mmseg')
    assert cfg.test_evaluator == dict(type='IoUMetric', output_dir='preds', keep_results=True)


def test_det_out_appends_dump_metric(tool_test):
    cfg = Config(dict(test_evaluator=dict(type='CocoMetric')))
    tool_test.enable_output(cfg, 'results.pkl', 'mmdet')
    assert [m['type'] for m in cfg.test_evaluator] == ['CocoMetric', 'DumpDetResults']
    with pytest.raises(ValueError, match='pickle'):
        tool_test.enable_output(cfg, 'results.json', 'mmdet')


def test_show_dir_per_scope(tool_test, monkeypatch):
    args = _parse(tool_test, monkeypatch, 'cfg.py', 'ckpt.pth', '--show-dir', 'vis')
    seg = Config(dict(work_dir='wd', visualizer=dict(type='SegLocalVisualizer'),
                      default_hooks=dict(visualization=dict(type='SegVisualizationHook'))))
    tool_test.enable_visualization(seg, args, 'mmseg')
    assert seg.default_hooks.visualization == dict(
        type='SegVisualizationHook', draw=True, interval=1)
    assert seg.visualizer.save_dir == osp.join('wd', 'vis')

    det = Config(dict(default_hooks=dict(visualization=dict(type='DetVisualizationHook'))))
    tool_test.enable_visualization(det, args, 'mmdet')
    assert det.default_hooks.visualization == dict(
        type='DetVisualizationHook', draw=True, test_out_dir='vis')

    with pytest.raises(RuntimeError, match='visualization hook'):
        tool_test.enable_visualization(Config(dict(default_hooks=dict())), args, 'mmdet')


def test_seg_tta_needs_tta_pipeline(tool_test):
    cfg = Config(dict(model=dict(type='EncoderDecoder'), tta_model=dict(type='SegTTAModel'),
                      test_dataloader=dict(dataset=dict(pipeline=[]))))
    with pytest.raises(KeyError, match='tta_pipeline'):
        tool_test.enable_tta(cfg, 'mmseg')
    cfg.tta_pipeline = [dict(type='LoadImageFromFile'), dict(type='TestTimeAug')]
    tool_test.enable_tta(cfg, 'mmseg')
    assert cfg.model.type == 'SegTTAModel' and cfg.model.module.type == 'EncoderDecoder'
    assert cfg.test_dataloader.dataset.pipeline == cfg.tta_pipeline
