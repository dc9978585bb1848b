"""Pretraining end to end through the tools: train (1 and 2 CPU processes), convert to the
released encoder-only files, load them downstream."""
import glob
import os.path as osp
import runpy
import sys

import pytest
import timm
import torch

from mars.models.backbones import MaRSBackbone
from mars.models.backbones.mars_backbone import MARS_ARCHS

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TINY_CONFIG = 'configs/pretrain/mars-tiny_pretrain_1xb2-2e_mars16m-64x64.py'
LOSSES = ('loss_rec_rgb', 'loss_rec_sar', 'loss_distill', 'loss_cgcl')
CONVERTER = 'tools/model_converters/mars_pretrain_to_encoders.py'


def _convert(checkpoint, out_dir, monkeypatch, capsys):
    """Run the converter's command line in this process (saves an interpreter start)."""
    monkeypatch.setattr(sys, 'argv', [CONVERTER, str(checkpoint), str(out_dir)])
    runpy.run_path(osp.join(REPO_ROOT, CONVERTER), run_name='__main__')
    return capsys.readouterr().out


def _check_released_files(out_dir, checkpoint, monkeypatch, capsys):
    output = _convert(checkpoint, out_dir, monkeypatch, capsys)
    assert output.count('timm strict load: ok') == 2
    trained = torch.load(checkpoint, map_location='cpu', weights_only=False)['state_dict']
    spec = MARS_ARCHS['tiny']
    for modality, channels in (('rgb', 3), ('sar', 1)):
        path = out_dir / f'mars_tiny_{modality}_encoder_only.pth'
        released = torch.load(path, map_location='cpu', weights_only=True)
        assert all(k.startswith(('patch_embed.', 'layers_')) for k in released)
        assert released['patch_embed.proj.weight'].shape[1] == channels
        assert torch.equal(released['layers_3.blocks.1.mlp.fc2.weight'],
                           trained[f'encoder_{modality}.encoder.layers_3.blocks.1.mlp.fc2.weight'])
        # The authors' loading recipe (strict) and the downstream backbone.
        timm.create_model(spec['timm_name'], pretrained=False, features_only=True,
                          in_chans=channels, img_size=512, checkpoint_path=str(path),
                          **spec['timm_kwargs'])
        backbone = MaRSBackbone(arch='tiny', in_channels=channels, modality=modality)
        result = backbone.load_mars_state_dict(released, str(path))
        assert result.missing_keys == [] and result.unexpected_keys == []
        backbone = MaRSBackbone(arch='tiny', in_channels=channels, modality=modality,
                                pretrained=str(path))
        backbone.init_weights()
        assert torch.equal(backbone.encoder.patch_embed.proj.weight,
                           released['patch_embed.proj.weight'])
        # The pretraining checkpoint itself loads too, without conversion.
        direct = MaRSBackbone(arch='tiny', in_channels=channels, modality=modality,
                              pretrained=str(checkpoint))
        direct.init_weights()
        assert all(torch.equal(v, released[k]) for k, v in direct.encoder.state_dict().items()
                   if k in released)


def test_pretrain_convert_and_load(tmp_path, run_tool, mars16m_root, monkeypatch, capsys):
    work_dir = tmp_path / 'work'
    output = run_tool('train.py', TINY_CONFIG, '--work-dir', work_dir, '--cfg-options',
                      f'train_dataloader.dataset.data_root={mars16m_root}')
    assert 'Epoch(train) [2][2/2]' in output
    assert all(loss in output for loss in LOSSES)
    assert 'Failed to search registry' not in output  # every scope resolves in 'mars'
    assert (mars16m_root / 'mars16m_pairs.txt').is_file()
    checkpoint = work_dir / 'epoch_2.pth'
    assert checkpoint.is_file()
    _check_released_files(tmp_path / 'released', checkpoint, monkeypatch, capsys)

    # Resuming continues the schedule from the saved epoch, teacher included.
    output = run_tool('train.py', TINY_CONFIG, '--work-dir', work_dir, '--resume',
                      '--cfg-options', f'train_dataloader.dataset.data_root={mars16m_root}',
                      'train_cfg.max_epochs=3')
    assert 'resumed epoch: 2' in output and 'Epoch(train) [3][2/2]' in output


def test_pretrain_two_cpu_processes(tmp_path, run_script, mars16m_root, free_port,
                                    monkeypatch, capsys):
    work_dir = tmp_path / 'dist'
    run_script('dist_train.sh', TINY_CONFIG, 2, '--work-dir', work_dir, '--cfg-options',
               f'train_dataloader.dataset.data_root={mars16m_root}',
               'train_dataloader.batch_size=1', env=dict(PORT=str(free_port)))
    logs = glob.glob(str(work_dir / '*' / '*.log'))
    assert len(logs) == 1
    with open(logs[0]) as f:
        log = f.read()
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    # 4 pairs over 2 processes x 1 pair: 2 iterations per epoch.
    assert 'Epoch(train) [2][2/2]' in log and 'loss_cgcl' in log
    _check_released_files(tmp_path / 'released', work_dir / 'epoch_2.pth', monkeypatch,
                          capsys)


@pytest.mark.parametrize('config', [
    'configs/pretrain/mars-base_pretrain_8xb16-12e_mars16m-512x512.py',
    'configs/pretrain/mars-large_pretrain_8xb12-12e_mars16m-512x512.py'])
def test_published_recipe(config):
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    large = 'large' in config
    batch = 12 if large else 16
    assert cfg.default_scope == 'mars'
    assert cfg.model.arch == ('large' if large else 'base')
    assert cfg.train_dataloader.batch_size == batch
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == 'AdamW' and optimizer.betas == (0.9, 0.95)
    assert optimizer.weight_decay == 0.05
    assert optimizer.lr == pytest.approx(1e-4 * 8 * batch / 256)
    assert cfg.auto_scale_lr.base_batch_size == 8 * batch
    assert cfg.train_cfg.max_epochs == 12
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.end) == ('LinearLR', 1)
    assert (cosine.type, cosine.begin, cosine.end) == ('CosineAnnealingLR', 1, 12)
    pipeline = {t.type: t for t in cfg.train_dataloader.dataset.pipeline}
    assert pipeline['PairedRandomResizedCrop'].size == 512
    assert pipeline['PairedRandomResizedCrop'].scale == (0.7, 1.0)
    mask = pipeline['MaRSMaskGenerator']
    assert (mask.mask_patch_size, mask.model_patch_size, mask.mask_ratio) == (32, 4, 0.6)
    assert cfg.model.with_cp is False
    timm_name = 'swinv2_large_window12to16_192to256' if large else 'swinv2_base_window8_256'
    assert cfg.model.start_weights == f'checkpoints/{timm_name}.pth'
    # The authors' method, spelt out so that an ablation is one config line.
    assert (cfg.model.shared_mask, cfg.model.final_norm, cfg.model.teacher_input) == (
        True, True, 'masked')
    assert cfg.model.loss_cgcl.p2p_negatives == 'batch'
