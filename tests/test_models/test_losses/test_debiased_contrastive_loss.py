"""DebiasedContrastiveLoss against a literal, row-by-row reading of the spec
(fn-strategies.md, "DCL"): the equations of its docstring."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmselfsup.registry import MODELS

from false_plugin.models.losses import DebiasedContrastiveLoss, FNCCLoss


def _row_loss(big_pos, big_negs, tau, prior):
    """l_i = -log(S_ip / (S_ip + N_i)), N_i = max((sum S_ik - n tau+ S_ip)
    / (1 - tau+), n exp(-1 / tau)). Also says which side of the max won."""
    n = len(big_negs)
    total = sum(big_negs, torch.zeros((), dtype=big_pos.dtype))
    corrected = (total - n * prior * big_pos) / (1 - prior)
    bound = n * math.exp(-1 / tau)
    big_n = corrected if corrected.item() >= bound else torch.full_like(
        corrected, bound)
    return -torch.log(big_pos / (big_pos + big_n)), corrected.item() < bound


def reference_simclr(z, tau, prior):
    z = F.normalize(z, dim=1)
    n2 = z.size(0)
    n = n2 // 2
    big_s = torch.exp(z @ z.t() / tau)
    rows, bounded = [], 0
    for i in range(n2):
        p = (i + n) % n2
        negs = [big_s[i, j] for j in range(n2) if j != i and j != p]
        loss, hit = _row_loss(big_s[i, p], negs, tau, prior)
        rows.append(loss)
        bounded += hit
    return torch.stack(rows).mean(), bounded / n2


def reference_queue(pos, neg, tau, prior, neg_mask=None):
    rows = []
    for i in range(neg.size(0)):
        negs = [torch.exp(neg[i, j] / tau) for j in range(neg.size(1))
                if neg_mask is None or neg_mask[i, j]]
        rows.append(_row_loss(torch.exp(pos[i] / tau), negs, tau, prior)[0])
    return torch.stack(rows).mean()


def _correlated_batch(gen, n, d, noise):
    """Two views per image: view 2 is view 1 plus noise."""
    v1 = torch.randn(n, d, generator=gen, dtype=torch.float64)
    v2 = v1 + noise * torch.randn(n, d, generator=gen, dtype=torch.float64)
    return torch.cat([v1, v2])


def _check_simclr(z, loss_fn):
    z1 = z.clone().requires_grad_(True)
    z2 = z.clone().requires_grad_(True)
    ours = loss_fn(z1)
    ref, bound_rate = reference_simclr(z2, loss_fn.temperature,
                                       loss_fn.class_prior)
    ours.backward()
    ref.backward()
    torch.testing.assert_close(ours, ref, atol=1e-10, rtol=1e-10)
    torch.testing.assert_close(z1.grad, z2.grad, atol=1e-10, rtol=1e-10)
    stats = loss_fn.last_stats
    assert stats['num_picked'] == 0
    assert stats['pairs'].shape == (0, 2)
    assert stats['pairs'].dtype == torch.long
    assert stats['bound_rate'].item() == pytest.approx(bound_rate)
    return bound_rate


@pytest.mark.parametrize('tau,prior', [(0.5, 0.1), (0.2, 0.05), (0.5, 0.4)])
def test_simclr_layout_matches_reference(tau, prior):
    gen = torch.Generator().manual_seed(0)
    for trial in range(6):
        z = _correlated_batch(gen, 3 + trial % 4, 8, noise=0.1 + 0.3 *
                              (trial % 3))
        _check_simclr(z, DebiasedContrastiveLoss(temperature=tau,
                                                 class_prior=prior))


def test_both_sides_of_the_bound():
    """Rows whose positive dominates hit the bound n exp(-1 / tau), the
    others not; value and gradient match the reference in both."""
    gen = torch.Generator().manual_seed(1)
    # Images 0-2: views nearly equal and far from the rest (bound);
    # images 3-5: noisy views (corrected term).
    base = torch.randn(6, 8, generator=gen, dtype=torch.float64)
    noise = torch.tensor([0.01] * 3 + [2.0] * 3, dtype=torch.float64)
    z = torch.cat([base, base + noise[:, None] * torch.randn(
        6, 8, generator=gen, dtype=torch.float64)])
    bound_rate = _check_simclr(
        z, DebiasedContrastiveLoss(temperature=0.5, class_prior=0.5))
    assert 0 < bound_rate < 1


@pytest.mark.parametrize('with_mask', [False, True])
def test_queue_layout_matches_reference(with_mask):
    """forward_similarities: n counts only the masked-in negatives."""
    gen = torch.Generator().manual_seed(2)
    m, num = 6, 9
    pos = torch.rand(m, generator=gen, dtype=torch.float64) * 1.6 - 0.6
    neg = torch.rand(m, num, generator=gen, dtype=torch.float64) * 2 - 1
    neg_mask = torch.rand(m, num, generator=gen) > 0.3 if with_mask else None
    ours_in = [t.clone().requires_grad_(True) for t in (pos, neg)]
    ref_in = [t.clone().requires_grad_(True) for t in (pos, neg)]
    loss_fn = DebiasedContrastiveLoss(temperature=0.3, class_prior=0.15,
                                      loss_weight=0.7)
    # candidate_mask is accepted and ignored: DCL picks nothing.
    ours = loss_fn.forward_similarities(ours_in[0][:, None], ours_in[1],
                                        neg_mask, neg_mask)
    ref = reference_queue(*ref_in, 0.3, 0.15, neg_mask) * 0.7
    ours.backward()
    ref.backward()
    torch.testing.assert_close(ours, ref, atol=1e-10, rtol=1e-10)
    for a, b in zip(ours_in, ref_in):
        torch.testing.assert_close(a.grad, b.grad, atol=1e-10, rtol=1e-10)
    assert 0 < loss_fn.last_stats['bound_rate'] < 1
    assert loss_fn.last_stats['pairs'].shape == (0, 2)


def test_gradient_against_finite_differences():
    gen = torch.Generator().manual_seed(3)
    z = _correlated_batch(gen, 4, 5, noise=0.5).requires_grad_(True)
    loss_fn = DebiasedContrastiveLoss(temperature=0.4, class_prior=0.3)
    assert torch.autograd.gradcheck(loss_fn, (z, ))


@pytest.mark.parametrize('layout', ['simclr', 'queue'])
def test_class_prior_zero_is_infonce(layout):
    gen = torch.Generator().manual_seed(4)
    tau = 0.3
    if layout == 'simclr':
        z = torch.randn(12, 16, generator=gen, dtype=torch.float64)
        zn = F.normalize(z, dim=1)
        logits = (zn @ zn.t() / tau).fill_diagonal_(-math.inf)
        infonce = F.cross_entropy(logits, (torch.arange(12) + 6) % 12)
        ours = DebiasedContrastiveLoss(temperature=tau, class_prior=0.0)(z)
        fncc = FNCCLoss(temperature=tau, confidence_weight=0.0)(z)
    else:
        pos = torch.rand(7, 1, generator=gen, dtype=torch.float64)
        neg = torch.rand(7, 20, generator=gen, dtype=torch.float64) * 2 - 1
        infonce = F.cross_entropy(
            torch.cat([pos, neg], 1) / tau,
            torch.zeros(7, dtype=torch.long))
        ours = DebiasedContrastiveLoss(
            temperature=tau, class_prior=0.0).forward_similarities(pos, neg)
        fncc = FNCCLoss(temperature=tau,
                        confidence_weight=0.0).forward_similarities(pos, neg)
    torch.testing.assert_close(ours, infonce, atol=1e-12, rtol=0)
    # The very computation of FNCC with alpha = 0.
    assert torch.equal(ours, fncc)


def test_small_temperature_float64_and_float32():
    """tau = 0.01: exp(s / tau) overflows float32; float64 matches the
    reference and float32 stays finite."""
    gen = torch.Generator().manual_seed(5)
    z = _correlated_batch(gen, 5, 8, noise=0.4)
    loss_fn = DebiasedContrastiveLoss(temperature=0.01, class_prior=0.1)
    _check_simclr(z, loss_fn)
    z32 = z.float().requires_grad_(True)
    loss = loss_fn(z32)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(z32.grad).all()
    torch.testing.assert_close(loss.double(), loss_fn(z), rtol=1e-4,
                               atol=1e-4)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_finite_under_autocast(dtype):
    gen = torch.Generator().manual_seed(6)
    z = _correlated_batch(gen, 32, 32, noise=0.5).float()
    proj = torch.nn.Linear(32, 16)
    loss_fn = DebiasedContrastiveLoss(temperature=0.05, class_prior=0.1)
    with torch.autocast('cpu', dtype=dtype):
        emb = proj(z)
        assert emb.dtype == dtype  # autocast is on
        loss = loss_fn(emb)
    loss.backward()
    assert loss.dtype == torch.float32
    assert torch.isfinite(loss)
    assert torch.isfinite(proj.weight.grad).all()
    with torch.autocast('cpu', dtype=dtype):
        loss = loss_fn.forward_similarities(
            torch.rand(8, 1).to(dtype), torch.rand(8, 64).to(dtype))
    assert torch.isfinite(loss)


def test_registered_and_built_by_config():
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        loss_fn = MODELS.build(
            dict(type='DebiasedContrastiveLoss', class_prior=0.2,
                 temperature=0.1))
    assert isinstance(loss_fn, DebiasedContrastiveLoss)
    assert (loss_fn.class_prior, loss_fn.temperature) == (0.2, 0.1)
    default = DebiasedContrastiveLoss()
    assert (default.temperature, default.class_prior,
            default.loss_weight) == (0.5, 0.1, 1.0)


@pytest.mark.parametrize('kwargs,match', [
    (dict(class_prior=1.0), 'class_prior'),
    (dict(class_prior=-0.1), 'class_prior'),
    (dict(temperature=-1.0), 'temperature'),
])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DebiasedContrastiveLoss(**kwargs)
