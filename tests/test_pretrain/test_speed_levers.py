"""Speed and memory levers of MaRS pretraining: each one leaves the losses and gradients
as they are (float tolerance) on a tiny model."""
import copy
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper

from mars.models.pretrain import MetaModalityAttention
from mars.models.pretrain.mars_pretrain_model import _swin_stages, fill_masked
from mars.registry import MODELS
from helpers import REPO_ROOT

BASE_CONFIG = osp.join(REPO_ROOT, 'configs', 'pretrain',
                       'mars-base_pretrain_8xb16-12e_mars16m-512x512.py')


def _model(**kwargs):
    torch.manual_seed(0)
    model = MODELS.build(dict(type='MaRSPretrainModel', arch='tiny', start_weights='random',
                              **kwargs))
    model.init_weights()
    return model.train()


def _losses_and_grads(model, data, seed=1):
    """Loss values and every parameter's gradient of one forward / backward (drop path
    draws from ``seed``)."""
    model.zero_grad(set_to_none=True)
    torch.manual_seed(seed)
    losses = model(**data, mode='loss')
    sum(losses.values()).backward()
    grads = {name: p.grad.clone() for name, p in model.named_parameters()}
    return {k: v.detach() for k, v in losses.items()}, grads


def _assert_same(first, second):
    (losses_a, grads_a), (losses_b, grads_b) = first, second
    assert losses_a.keys() == losses_b.keys() and grads_a.keys() == grads_b.keys()
    for key, value in losses_a.items():
        torch.testing.assert_close(losses_b[key], value, msg=key)
    for key, value in grads_a.items():
        torch.testing.assert_close(grads_b[key], value, rtol=1e-4, atol=1e-6, msg=key)


@pytest.fixture(scope='module')
def data(make_batch):
    return _model().data_preprocessor(make_batch(), True)


@pytest.fixture(scope='module')
def default_result(data):
    """Losses and gradients of the default model (every free lever on)."""
    return _losses_and_grads(_model(), data)


def test_teacher_first_keeps_losses_and_gradients(data, default_result, monkeypatch):
    model = _model()
    assert model.teacher_first  # the default
    order = []
    for name in ('teacher_rgb', 'encoder_rgb'):
        embed = getattr(model, name).encoder.patch_embed
        monkeypatch.setattr(embed, 'forward', (
            lambda forward, name: lambda x: order.append(name) or forward(x))(
                embed.forward, name))
    _assert_same(default_result, _losses_and_grads(model, data))
    assert order == ['teacher_rgb', 'encoder_rgb']
    order.clear()
    model.teacher_first = False  # the authors' order
    _assert_same(default_result, _losses_and_grads(model, data))
    assert order == ['encoder_rgb', 'teacher_rgb']


def test_where_masking_equals_the_authors_arithmetic():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(2, 8, 8, 4, generator=generator, requires_grad=True)
    token = torch.randn(4, generator=generator, requires_grad=True)
    mask = (torch.rand(2, 2, 2, generator=generator) < 0.5).to(torch.uint8)
    mask[0, 0, 0], mask[0, 0, 1] = 1, 0
    weight = mask.repeat_interleave(4, 1).repeat_interleave(4, 2)[..., None].float()
    expected = x * (1 - weight) + token * weight  # the authors' formula
    out = fill_masked(x, mask, token)
    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    assert torch.equal(out[0, 0, 0], token) and torch.equal(out[0, 0, 4], x[0, 0, 4])
    upstream = torch.randn(out.shape, generator=generator)
    grads = torch.autograd.grad((out * upstream).sum(), (x, token))
    expected_grads = torch.autograd.grad((expected * upstream).sum(), (x, token))
    for grad, expected_grad in zip(grads, expected_grads):
        torch.testing.assert_close(grad, expected_grad)


def test_compiled_blocks_keep_outputs_gradients_and_keys():
    plain = _model(loss_rec_rgb=None, loss_rec_sar=None, loss_cgcl=None)
    compiled = _model(loss_rec_rgb=None, loss_rec_sar=None, loss_cgcl=None,
                      compile_blocks=dict(backend='eager'))
    assert compiled.state_dict().keys() == plain.state_dict().keys()
    # Enough recompiles for every stage, shift and grad mode (the default 8 is not).
    import torch._dynamo.config as dynamo_config
    assert dynamo_config.recompile_limit >= 16
    for name in ('encoder_rgb', 'encoder_sar', 'teacher_rgb'):
        for stage in _swin_stages(getattr(compiled, name)):
            assert all(b._compiled_call_impl is not None for b in stage.blocks), name
    # One compiled block against the same block uncompiled, forward and backward. The
    # 'eager' backend captures the block with TorchDynamo as torch.compile does, without
    # code generation (inductor's compile takes minutes on a small CPU).
    results = []
    for model in (plain, compiled):
        block = model.encoder_rgb.encoder.layers_0.blocks[1]  # a shifted-window block
        x = torch.randn(1, 16, 16, 32, generator=torch.Generator().manual_seed(0))
        torch.manual_seed(1)
        out = block(x)
        out.square().sum().backward()
        results.append(({'out': out.detach()},
                        {n: p.grad.clone() for n, p in block.named_parameters()}))
    _assert_same(*results)


def test_shipped_optimizer_is_fused_adamw_with_the_for_loop_result():
    optimizer = Config.fromfile(BASE_CONFIG).optim_wrapper.optimizer
    assert optimizer.type == 'AdamW' and optimizer.fused is True
    common = {k: v for k, v in optimizer.items() if k != 'fused'}
    # A small module with weights, biases and norms (the config's parameter groups).
    model = MetaModalityAttention(32, num_heads=2)
    start = copy.deepcopy(model.state_dict())
    generator = torch.Generator().manual_seed(0)
    grads = [[torch.randn(p.shape, generator=generator) for p in model.parameters()]
             for _ in range(2)]
    params = {}
    for variant in (dict(foreach=False), dict(fused=True), dict(foreach=True)):
        model.load_state_dict(start)
        # The config's parameter groups (no decay on norms, biases, mask tokens).
        wrapper = build_optim_wrapper(model, dict(
            type='OptimWrapper', optimizer=dict(common, lr=1e-2, **variant),
            paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.)))
        for step_grads in grads:
            for param, grad in zip(model.parameters(), step_grads):
                param.grad = grad.clone()
            wrapper.step()
        params[str(variant)] = [p.detach().clone() for p in model.parameters()]
    reference = params.pop(str(dict(foreach=False)))  # torch's default on CPU
    assert not any(torch.equal(p, q) for p, q in zip(reference, start.values()))
    for variant, values in params.items():
        for value, expected in zip(values, reference):
            torch.testing.assert_close(value, expected, rtol=1e-5, atol=1e-6, msg=variant)


def test_benchmark_refuses_authors_code_without_their_checkout(tmp_path):
    result = subprocess.run(
        [sys.executable, osp.join(REPO_ROOT, 'benchmarks', 'pretrain_step.py'), '--child',
         'base', 'authors_code', f'--authors-code={tmp_path}'],
        capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert 'models/MaRS.py' in result.stderr and str(tmp_path) in result.stderr
