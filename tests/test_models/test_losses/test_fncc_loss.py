"""FNCCLoss against a literal, row-by-row reading of the method."""
import math

import pytest
import torch
import torch.nn.functional as F

from false_plugin.models.losses import FNCCLoss


def reference_loss(z, tau, alpha, threshold, selection='official', k=1,
                   max_gap=None):
    """The spec's steps 1-7 (official) or per-anchor mode, one row at a time.

    Returns the loss and the set of calibrated (anchor, negative) pairs.
    """
    z = F.normalize(z, dim=1)
    n2 = z.size(0)
    n = n2 // 2
    s = z @ z.t()
    big_s = torch.exp(s / tau)

    def p(i):
        return (i + n) % n2

    def negatives(i):
        return [j for j in range(n2) if j != i and j != p(i)]

    calibrated = set()
    if selection == 'official':
        gaps = {}
        for i in range(n2):
            for j in range(i + 1, n2):
                if j != p(i):
                    gaps[(i, j)] = abs(big_s[i, j].item() -
                                       big_s[i, p(i)].item())
        best = min(gaps.values())
        for (a, m), gap in gaps.items():
            if gap == best and s[a, p(a)].item() >= threshold:
                calibrated.add((a, m))
    else:
        for i in range(n2):
            if s[i, p(i)].item() < threshold:
                continue
            ranked = sorted(negatives(i),
                            key=lambda j: abs(s[i, j].item() -
                                              s[i, p(i)].item()))
            for j in ranked[:k]:
                if max_gap is None or abs(s[i, j] - s[i, p(i)]) < max_gap:
                    calibrated.add((i, j))
    rows = []
    for i in range(n2):
        pos = big_s[i, p(i)]
        neg = sum(big_s[i, j] for j in negatives(i))
        for a, m in calibrated:
            if a == i:
                pos = pos + alpha * big_s[i, m]
                neg = neg - alpha * big_s[i, m]
        rows.append(-torch.log(pos / (pos + neg)))
    return torch.stack(rows).mean(), calibrated


def _pairs(loss_fn):
    return {tuple(p) for p in loss_fn.last_stats['pairs'].tolist()}


def _check(z, loss_fn, **ref_kwargs):
    z1 = z.clone().requires_grad_(True)
    z2 = z.clone().requires_grad_(True)
    ours = loss_fn(z1)
    ref, ref_pairs = reference_loss(z2, loss_fn.temperature,
                                    loss_fn.confidence_weight,
                                    loss_fn.positive_threshold, **ref_kwargs)
    ours.backward()
    ref.backward()
    torch.testing.assert_close(ours, ref, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(z1.grad, z2.grad, atol=1e-6, rtol=1e-6)
    assert _pairs(loss_fn) == ref_pairs
    return ref_pairs


def _correlated_batch(gen, n, d, noise):
    """Two views per image: view 2 is view 1 plus noise."""
    v1 = torch.randn(n, d, generator=gen, dtype=torch.float64)
    v2 = v1 + noise * torch.randn(n, d, generator=gen, dtype=torch.float64)
    return torch.cat([v1, v2])


@pytest.mark.parametrize('alpha', [1.0, 0.5])
def test_official_matches_reference(alpha):
    gen = torch.Generator().manual_seed(0)
    gate_passed = gate_failed = 0
    for trial in range(30):
        n = 2 + trial % 6
        z = _correlated_batch(gen, n, 8, noise=0.05 + 0.1 * (trial % 5))
        loss_fn = FNCCLoss(temperature=0.5, confidence_weight=alpha,
                           positive_threshold=0.9)
        pairs = _check(z, loss_fn)
        gate_passed += bool(pairs)
        gate_failed += not pairs
    # Both branches of the gate were exercised.
    assert gate_passed and gate_failed


@pytest.mark.parametrize('k,max_gap', [(1, None), (3, None), (2, 0.05)])
def test_per_anchor_matches_reference(k, max_gap):
    gen = torch.Generator().manual_seed(1)
    for trial in range(20):
        z = _correlated_batch(gen, 3 + trial % 4, 8, noise=0.1)
        loss_fn = FNCCLoss(temperature=0.2, confidence_weight=0.7,
                           positive_threshold=0.8, selection='per_anchor',
                           num_candidates=k, max_gap=max_gap)
        _check(z, loss_fn, selection='per_anchor', k=k, max_gap=max_gap)


def test_per_anchor_tie_goes_to_first_column():
    pos = torch.tensor([0.9, 0.95])
    neg = torch.tensor([[0.5, 0.8, 0.8, 0.1], [0.2, 0.3, 0.3, 0.3]])
    loss_fn = FNCCLoss(selection='per_anchor', positive_threshold=0.5)
    loss_fn.forward_similarities(pos, neg)
    assert _pairs(loss_fn) == {(0, 1), (1, 1)}


def test_official_selects_all_exact_ties():
    gen = torch.Generator().manual_seed(2)
    base = _correlated_batch(gen, 3, 8, noise=0.01)
    # Images 0 and 1 are identical and so are their views: the gaps of the
    # pairs (0, 1) and (3, 4) tie exactly with each other.
    z = base.clone()
    z[1], z[4] = base[0], base[3]
    loss_fn = FNCCLoss(temperature=0.5, positive_threshold=0.5)
    pairs = _check(z, loss_fn)
    assert len(pairs) >= 2


def test_gate_failing_calibrates_nothing():
    gen = torch.Generator().manual_seed(3)
    z = torch.randn(8, 16, generator=gen, dtype=torch.float64)
    loss_fn = FNCCLoss(positive_threshold=0.99)
    assert _check(z, loss_fn) == set()
    assert loss_fn.last_stats['num_picked'] == 0
    assert loss_fn.last_stats['gate_pass_rate'] == 0


def test_alpha_zero_is_infonce():
    gen = torch.Generator().manual_seed(4)
    z = torch.randn(12, 16, generator=gen, dtype=torch.float64)
    tau = 0.3
    zn = F.normalize(z, dim=1)
    logits = (zn @ zn.t() / tau).fill_diagonal_(-math.inf)
    targets = (torch.arange(12) + 6) % 12
    infonce = F.cross_entropy(logits, targets)
    ours = FNCCLoss(temperature=tau, confidence_weight=0.0,
                    positive_threshold=-1.0)(z)
    assert torch.equal(ours, infonce) or torch.allclose(
        ours, infonce, atol=1e-12, rtol=0)


def test_forward_similarities_queue_layout():
    """The entry point for queue/dense families, against a direct formula."""
    gen = torch.Generator().manual_seed(5)
    pos = torch.rand(6, generator=gen, dtype=torch.float64) * 0.2 + 0.8
    neg = torch.rand(6, 10, generator=gen, dtype=torch.float64) * 2 - 1
    loss_fn = FNCCLoss(temperature=0.2, confidence_weight=0.6,
                       positive_threshold=0.85)
    loss = loss_fn.forward_similarities(pos[:, None], neg)
    big_pos, big_neg = torch.exp(pos / 0.2), torch.exp(neg / 0.2)
    gap = (big_neg - big_pos[:, None]).abs()
    a, m = divmod(int(gap.argmin()), 10)
    extra = torch.zeros(6, dtype=torch.float64)
    if pos[a] >= 0.85:
        extra[a] = 0.6 * big_neg[a, m]
    expected = -torch.log((big_pos + extra) /
                          (big_pos + big_neg.sum(1))).mean()
    torch.testing.assert_close(loss, expected)
    assert _pairs(loss_fn) == ({(a, m)} if pos[a] >= 0.85 else set())


@pytest.mark.parametrize('selection', ['official', 'per_anchor'])
def test_forward_similarities_gradient(selection):
    """The written-out backward pass against finite differences, with
    masked negatives, restricted candidates and several picks per row."""
    gen = torch.Generator().manual_seed(6)
    pos = (torch.rand(5, generator=gen, dtype=torch.float64) * 0.2 +
           0.8).requires_grad_(True)
    neg = (torch.rand(5, 7, generator=gen, dtype=torch.float64) * 2 -
           1).requires_grad_(True)
    neg_mask = torch.rand(5, 7, generator=gen) > 0.2
    candidate_mask = neg_mask & (torch.rand(5, 7, generator=gen) > 0.2)
    loss_fn = FNCCLoss(temperature=0.3, confidence_weight=0.8,
                       positive_threshold=0.85, selection=selection,
                       num_candidates=2, loss_weight=1.7)

    def loss(pos, neg):
        return loss_fn.forward_similarities(pos, neg, neg_mask,
                                            candidate_mask)

    assert torch.autograd.gradcheck(loss, (pos, neg))
    assert loss_fn.last_stats['num_picked'] > 0


def test_official_small_temperature():
    """tau = 0.01: exp(s / tau) overflows float32. In float64 the loss still
    equals the reference; in float32 it and its gradient stay finite."""
    gen = torch.Generator().manual_seed(7)
    for trial in range(5):
        z = _correlated_batch(gen, 6, 8, noise=0.3 * trial)
        _check(z, FNCCLoss(temperature=0.01, positive_threshold=-1.0))
        z32 = z.float().requires_grad_(True)
        loss_fn = FNCCLoss(temperature=0.01, positive_threshold=-1.0)
        loss_fn(z32).backward()
        assert loss_fn.last_stats['num_picked'] > 0
        assert torch.isfinite(z32.grad).all()


def test_official_faint_positive_float32():
    """A positive whose softmax probability underflows float32 (the row's
    best negative is 1.1 cosine above it, tau = 0.01): its row holds the
    smallest gap, found exactly as in float64."""
    pos = torch.tensor([-0.2, 0.95, 0.9], dtype=torch.float64)
    neg = torch.tensor([[0.9, -0.5, -0.3], [0.3, 0.1, 0.5],
                        [-0.1, 0.2, 0.6]], dtype=torch.float64)
    loss_fn = FNCCLoss(temperature=0.01, positive_threshold=-1.0)
    loss = loss_fn.forward_similarities(pos.float(), neg.float())
    big_pos, big_neg = torch.exp(pos / 0.01), torch.exp(neg / 0.01)
    gap = (big_neg - big_pos[:, None]).abs()
    assert divmod(int(gap.argmin()), 3) == (0, 2)
    assert _pairs(loss_fn) == {(0, 2)}
    extra = torch.zeros(3, dtype=torch.float64)
    extra[0] = big_neg[0, 2]
    expected = -torch.log((big_pos + extra) /
                          (big_pos + big_neg.sum(1))).mean()
    torch.testing.assert_close(loss.double(), expected)


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
@pytest.mark.parametrize('selection', ['official', 'per_anchor'])
def test_finite_under_autocast(dtype, selection):
    z = torch.randn(64, 32, requires_grad=True)
    loss_fn = FNCCLoss(temperature=0.05, positive_threshold=-1.0,
                       selection=selection)
    with torch.autocast('cpu', dtype=dtype):
        loss = loss_fn(z.to(dtype))
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(z.grad).all()
    assert loss_fn.last_stats['num_picked'] > 0


@pytest.mark.parametrize('kwargs,match', [
    (dict(confidence_weight=1.5), 'confidence_weight'),
    (dict(confidence_weight=-0.1), 'confidence_weight'),
    (dict(temperature=0.0), 'temperature'),
    (dict(selection='global'), 'selection'),
    (dict(num_candidates=0), 'num_candidates'),
    (dict(max_gap=-1.0), 'max_gap'),
])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FNCCLoss(**kwargs)


def test_invalid_shapes():
    with pytest.raises(ValueError, match='even'):
        FNCCLoss()(torch.randn(5, 4))
    with pytest.raises(ValueError, match='neg must be'):
        FNCCLoss().forward_similarities(torch.rand(3), torch.rand(4, 5))
