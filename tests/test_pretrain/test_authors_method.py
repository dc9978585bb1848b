"""The MaRS authors' pretraining method as MaRSPretrainModel's default, one test per point
where it differed, and each switch back to the other behaviour."""
import math

import pytest
import torch
import torch.nn.functional as F

from mars.models.pretrain import MetaModalityAttention
from mars.models.pretrain.mars_pretrain_model import encode
from mars.models.pretrain.losses import (CrossGranularityContrastiveLoss,
                                         TokenDistillationLoss)
from mars.registry import MODELS


def _model(**kwargs):
    torch.manual_seed(0)
    kwargs.setdefault('start_weights', 'random')
    model = MODELS.build(dict(type='MaRSPretrainModel', arch='tiny', **kwargs))
    model.init_weights()
    return model


def _tokens(batch=2, tokens=4, dim=8, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return (torch.randn(batch, tokens, dim, generator=generator),
            torch.randn(batch, tokens, dim, generator=generator))


def test_one_mask_for_rgb_sar_and_teacher(make_batch):
    data = make_batch()
    data['data_samples']['masks']['rgb'].zero_()  # nothing masked in RGB ...
    data['data_samples']['masks']['sar'].fill_(1)  # ... everything in SAR
    shared = _model(loss_distill=None, loss_cgcl=None)
    losses = shared(**shared.data_preprocessor(data), mode='loss')
    assert losses['loss_rec_sar'].item() == pytest.approx(0., abs=1e-6)  # the RGB mask
    separate = _model(loss_distill=None, loss_cgcl=None, shared_mask=False)
    assert separate(**separate.data_preprocessor(data), mode='loss')['loss_rec_sar'] > 0


def test_final_norm_is_applied_before_mma_and_losses(make_batch):
    data = _model().data_preprocessor(make_batch())
    rgb = data['inputs']['rgb']
    model = _model()
    norm = model.final_norms['rgb']
    torch.nn.init.normal_(norm.weight)  # a norm that visibly changes the features
    torch.nn.init.normal_(norm.bias)
    torch.testing.assert_close(model.extract_feat(data['inputs'])['rgb'],
                               norm(encode(model.encoder_rgb, rgb)))
    assert model.teacher_norm is not None and not list(model.teacher_norm.parameters())
    plain = _model(final_norm=False)
    assert plain.final_norms is None and plain.teacher_norm is None
    torch.testing.assert_close(plain.extract_feat(data['inputs'])['rgb'],
                               encode(plain.encoder_rgb, rgb))


def test_mma_is_the_authors_block_with_shared_intra_weights():
    mma = MetaModalityAttention(256)
    assert [set(block) for block in mma.intra] == [{'shared'}, {'shared'}]
    assert mma.joint[0].attn.num_heads == 8 and not hasattr(mma.joint[0], 'norm2')
    tokens = dict(rgb=torch.randn(2, 4, 256), sar=torch.randn(2, 4, 256))
    out = mma(tokens)
    assert {m: t.shape for m, t in out.items()} == {m: t.shape for m, t in tokens.items()}
    # x + mlp(attn(norm(x))): no residual around the attention.
    block = mma.intra[0]['shared']
    x = torch.randn(2, 3, 256)
    torch.testing.assert_close(block(x), x + block.mlp(block.attn(block.norm1(x))))
    ours = MetaModalityAttention(256, num_heads=None, block='pre_norm', shared_intra=False)
    assert set(ours.intra[0]) == {'rgb', 'sar'} and ours.joint[0].attn.num_heads == 4
    assert hasattr(ours.joint[0], 'norm2')


def test_distillation_and_cgcl_act_after_mma(make_batch, monkeypatch):
    data = _model().data_preprocessor(make_batch())
    for after in (True, False):
        model = _model(distill_after_mma=after, cgcl_after_mma=after)
        seen = {}
        monkeypatch.setattr(model.loss_distill, 'forward',
                            lambda student, teacher: seen.setdefault('distill', student).sum())
        monkeypatch.setattr(model.loss_cgcl, 'forward',
                            lambda rgb, sar: seen.setdefault('cgcl', rgb).sum())
        model(**data, mode='loss')
        feats = model.extract_feat(data['inputs'], model.used_masks(
            data['data_samples']['masks']))
        expected = model.mix(feats)['rgb'] if after else feats['rgb'].flatten(1, 2)
        torch.testing.assert_close(seen['distill'], expected)
        torch.testing.assert_close(seen['cgcl'], expected)


def test_patch_negatives_come_from_the_whole_batch():
    rgb, sar = _tokens(batch=3)
    loss = CrossGranularityContrastiveLoss()
    permutation = torch.tensor([2, 0, 1])
    for key, value in loss.terms(rgb, sar).items():
        torch.testing.assert_close(loss.terms(rgb[permutation], sar[permutation])[key], value)
    # Per-image negatives: the batch term is the mean of each image's own term.
    per_image = CrossGranularityContrastiveLoss(p2p_negatives='image')
    alone = [per_image.terms(rgb[i:i + 1], sar[i:i + 1])['p2p'] for i in range(3)]
    torch.testing.assert_close(per_image.terms(rgb, sar)['p2p'], torch.stack(alone).mean())
    # Batch negatives: adding images adds negatives to the first image's patches.
    first = loss.terms(rgb[:1], sar[:1])['p2p']
    assert not torch.allclose(loss.terms(rgb, sar)['p2p'], first)
    rgb_n, sar_n = F.normalize(rgb, dim=-1).flatten(0, 1), F.normalize(sar, dim=-1).flatten(0, 1)
    logits = rgb_n @ sar_n.t() / 0.1
    labels = torch.arange(12)
    expected = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
    torch.testing.assert_close(loss.terms(rgb, sar)['p2p'], expected)


def test_global_vectors_are_means_of_unit_vectors():
    rgb, sar = _tokens()
    g_rgb = F.normalize(rgb, dim=-1).mean(1)
    g_sar = F.normalize(sar, dim=-1).mean(1)
    logits = g_rgb @ g_sar.t() / 0.05
    labels = torch.arange(2)
    expected = (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels)) / 2
    terms = CrossGranularityContrastiveLoss().terms(rgb, sar)
    torch.testing.assert_close(terms['i2i'], expected)
    renormalized = CrossGranularityContrastiveLoss(renormalize_global=True).terms(rgb, sar)
    assert not torch.allclose(renormalized['i2i'], terms['i2i'])
    torch.testing.assert_close(renormalized['p2p'], terms['p2p'])  # only the globals change


def test_authors_p2g_targets_switch():
    rgb, sar = _tokens(batch=2, tokens=4)
    batch, tokens = 2, 4
    r, s = F.normalize(rgb, dim=-1), F.normalize(sar, dim=-1)
    g_r, g_s = r.mean(1), s.mean(1)
    # The authors' hierarchical term, written out: [BN, BN] similarities of each patch with
    # the global vectors repeated N times, labels arange(B).repeat_interleave(N).
    cross_rgb = torch.einsum('bnd,jmd->bnjm', r, g_s[:, None].expand(-1, tokens, -1))
    cross_sar = torch.einsum('bnd,jmd->bnjm', s, g_r[:, None].expand(-1, tokens, -1))
    labels = torch.arange(batch).repeat_interleave(tokens)
    authors = (F.cross_entropy(cross_rgb.reshape(8, 8) / 0.07, labels) +
               F.cross_entropy(cross_sar.reshape(8, 8) / 0.07, labels)) / 2
    bug = CrossGranularityContrastiveLoss(authors_p2g_targets=True).terms(rgb, sar)
    torch.testing.assert_close(bug['p2g'], authors)
    fixed = CrossGranularityContrastiveLoss().terms(rgb, sar)
    own = labels  # each patch against its own image's global vector
    expected = (F.cross_entropy(torch.einsum('bnd,kd->bnk', r, g_s).reshape(8, 2) / 0.07, own)
                + F.cross_entropy(torch.einsum('bnd,kd->bnk', s, g_r).reshape(8, 2) / 0.07,
                                  own)) / 2
    torch.testing.assert_close(fixed['p2g'], expected)
    torch.testing.assert_close(bug['p2p'], fixed['p2p'])


def test_drop_first_token_switch():
    rgb, sar = _tokens(tokens=5)
    dropped = CrossGranularityContrastiveLoss(drop_first_token=True)(rgb, sar)
    torch.testing.assert_close(dropped, CrossGranularityContrastiveLoss()(rgb[:, 1:],
                                                                          sar[:, 1:]))
    assert not torch.allclose(dropped, CrossGranularityContrastiveLoss()(rgb, sar))


def test_distillation_cosine_axis_switch():
    student, teacher = _tokens()
    per_token = TokenDistillationLoss()(student, teacher)
    torch.testing.assert_close(per_token, -F.cosine_similarity(student, teacher, -1).mean())
    authors = TokenDistillationLoss(cosine_dim='token')(student, teacher)
    torch.testing.assert_close(authors, -F.cosine_similarity(student, teacher, 1).mean())
    assert not math.isclose(per_token.item(), authors.item())


def test_teacher_sees_the_masked_rgb_and_stays_in_eval_mode(make_batch):
    data = _model().data_preprocessor(make_batch())
    rgb, mask = data['inputs']['rgb'], data['data_samples']['masks']['rgb']
    model = _model()
    assert not model.teacher_mask_token.requires_grad
    masked = model.teacher_tokens(rgb, mask)
    torch.testing.assert_close(masked, model.teacher_tokens(rgb, mask))  # no drop path
    assert not torch.allclose(masked, model.teacher_tokens(rgb, torch.zeros_like(mask)))
    full = _model(teacher_input='full')
    torch.testing.assert_close(full.teacher_tokens(rgb, mask),
                               full.teacher_tokens(rgb, torch.zeros_like(mask)))
    model.train()
    assert not model.teacher_rgb.training
    # The authors' bug: the teacher stays in train mode with the students' drop path.
    noisy = _model(teacher_train_mode=True, drop_path_rate=0.5)
    noisy.train()
    assert noisy.teacher_rgb.training
    for module in noisy.teacher_rgb.modules():  # SwinV2's residual branches start at zero
        if isinstance(module, torch.nn.LayerNorm):
            module.weight.normal_()
    torch.manual_seed(1)
    first = noisy.teacher_tokens(rgb, mask)
    assert not torch.allclose(first, noisy.teacher_tokens(rgb, mask))
