"""The pretraining losses on hand-made tensors."""
import math

import pytest
import torch
import torch.nn.functional as F

from mars.models.pretrain import (CrossGranularityContrastiveLoss, MaskedL1Loss,
                                  TokenDistillationLoss)


def _distinct_tokens(batch=3, tokens=4, dim=16, seed=0):
    """Unit tokens, pairwise far apart: one-hot rows of a random orthogonal basis."""
    generator = torch.Generator().manual_seed(seed)
    basis = torch.linalg.qr(torch.randn(dim, dim, generator=generator))[0]
    return basis[:batch * tokens].reshape(batch, tokens, dim)


def test_masked_l1_ignores_unmasked_pixels():
    pred, target = torch.zeros(2, 3, 8, 8), torch.zeros(2, 3, 8, 8)
    mask = torch.zeros(2, 8, 8)
    mask[:, :4] = 1  # top half masked: 2 * 4 * 8 = 64 pixels
    pred[:, :, 4:] = 100.0  # errors on unmasked pixels only
    loss = MaskedL1Loss()
    assert loss(pred, target, mask).item() == pytest.approx(0.0)
    pred[0, 1, 0, 0] = 6.0  # one error of 6 on a masked pixel of one channel
    # sum |error| over masked pixels / masked pixels / channels
    assert loss(pred, target, mask).item() == pytest.approx(6.0 / 64 / 3, rel=1e-4)
    assert MaskedL1Loss(loss_weight=2.0)(pred, target, mask).item() == pytest.approx(
        2 * 6.0 / 64 / 3, rel=1e-4)


def test_distillation_minimum_at_alignment_and_no_teacher_gradient():
    teacher = torch.randn(2, 5, 8, requires_grad=True)
    student = (teacher.detach() * 3.0).requires_grad_()  # same directions
    loss = TokenDistillationLoss()
    aligned = loss(student, teacher)
    assert aligned.item() == pytest.approx(-1.0, abs=1e-5)
    shuffled = loss(student[:, torch.randperm(5, generator=torch.Generator().manual_seed(1))],
                    teacher)
    assert shuffled.item() > aligned.item() + 0.1
    shuffled.backward()
    assert teacher.grad is None and student.grad is not None


@pytest.mark.parametrize('term', ['p2p', 'i2i', 'p2g'])
def test_cgcl_terms_minimal_for_matching_pairs(term):
    loss = CrossGranularityContrastiveLoss()
    rgb = _distinct_tokens()
    aligned = loss.terms(rgb, rgb.clone())[term]
    # The term's negatives get shuffled into the positives' places.
    if term == 'p2p':
        sar = rgb[:, torch.tensor([1, 2, 3, 0])]  # other positions of the same image
    else:
        sar = rgb[torch.tensor([1, 2, 0])]  # other images
    shuffled = loss.terms(rgb, sar)[term]
    assert aligned.item() < shuffled.item()
    assert aligned.item() >= 0


def test_cgcl_weighted_sum_and_temperatures():
    rgb = _distinct_tokens()
    sar = F.normalize(rgb + 0.3 * torch.randn(rgb.shape, generator=torch.Generator()
                                              .manual_seed(2)), dim=-1)
    loss = CrossGranularityContrastiveLoss(loss_weight=2.0)
    terms = loss.terms(rgb, sar)
    expected = 2.0 * (0.5 * terms['p2p'] + 0.3 * terms['i2i'] + 0.2 * terms['p2g'])
    assert loss(rgb, sar).item() == pytest.approx(expected.item(), rel=1e-5)
    # Patch-to-patch by hand for image 0, RGB -> SAR, temperature 0.1.
    logits = rgb[0] @ sar[0].t() / 0.1
    by_hand = -(logits.diag() - logits.logsumexp(1)).mean()
    reverse = -(logits.diag() - logits.logsumexp(0)).mean()
    all_images = loss.terms(rgb[:1], sar[:1])['p2p']
    assert all_images.item() == pytest.approx(((by_hand + reverse) / 2).item(), rel=1e-5)
    # Image-to-image with one image: a single candidate, loss log(1) = 0.
    assert loss.terms(rgb[:1], sar[:1])['i2i'].item() == pytest.approx(0.0, abs=1e-6)
    assert math.isfinite(loss(rgb * 1e3, sar).item())  # tokens are normalised first


def test_cgcl_rejects_wrong_settings():
    with pytest.raises(ValueError, match='p2p, i2i, p2g'):
        CrossGranularityContrastiveLoss(weights=(1.0, 1.0))
