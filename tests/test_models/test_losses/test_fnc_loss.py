"""FNCLoss against a literal, row-by-row reading of the spec
(fn-strategies.md, "FNC"): the equations of the FNCLoss docstring."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmselfsup.registry import MODELS

from false_plugin.models.losses import (DebiasedContrastiveLoss, FNCCLoss,
                                        FNCLoss)


def _top(scored, k, threshold):
    """F(i): the k highest scores >= threshold; a tie goes to the first
    column (``scored`` is in column order and Python's sort is stable)."""
    ranked = sorted(scored, key=lambda item: -item[0])
    return [col for score, col in ranked[:k] if score >= threshold]


def _row_loss(big_s_row, p, negatives, picked, mode):
    """l_i of the spec, from the exponentiated similarities of row i."""
    pos = big_s_row[p]
    if mode == 'eliminate':
        rest = sum((big_s_row[k] for k in negatives if k not in picked),
                   torch.zeros((), dtype=big_s_row.dtype))
        return -torch.log(pos / (pos + rest))
    denom = pos + sum(big_s_row[k] for k in negatives)
    terms = [torch.log(big_s_row[q] / denom) for q in [p] + picked]
    return -sum(terms) / (1 + len(picked))


def reference_simclr(z, tau, mode, k, threshold):
    """SimCLR layout: support set {i, p(i)}, score max(s_ik, s_p(i)k).

    Returns the loss, the set of picked (row, column) pairs and whether a
    tie decided a pick (two candidates with the same score, one kept and
    one not).
    """
    z = F.normalize(z, dim=1)
    n2 = z.size(0)
    n = n2 // 2
    s = z @ z.t()
    big_s = torch.exp(s / tau)
    rows, pairs, tie_decided = [], set(), False
    for i in range(n2):
        p = (i + n) % n2
        negatives = [j for j in range(n2) if j != i and j != p]
        scored = [(max(s[i, j].item(), s[p, j].item()), j) for j in negatives]
        picked = _top(scored, k, threshold)
        kept = {score for score, j in scored if j in picked}
        tie_decided |= any(score in kept and j not in picked
                           for score, j in scored)
        pairs |= {(i, j) for j in picked}
        rows.append(_row_loss(big_s[i], p, negatives, picked, mode))
    return torch.stack(rows).mean(), pairs, tie_decided


def reference_queue(pos, neg, tau, mode, k, threshold, neg_mask=None,
                    candidate_mask=None):
    """Queue / dense layout: score s_ik, negatives where neg_mask,
    candidates where candidate_mask (default neg_mask)."""
    m, num = neg.shape
    if neg_mask is None:
        neg_mask = torch.ones(m, num, dtype=torch.bool)
    if candidate_mask is None:
        candidate_mask = neg_mask
    rows, pairs = [], set()
    for i in range(m):
        # column 0 the positive, column 1 + j the negative j
        big_s_row = torch.exp(torch.cat([pos[i:i + 1], neg[i]]) / tau)
        negatives = [1 + j for j in range(num) if neg_mask[i, j]]
        scored = [(neg[i, j].item(), 1 + j) for j in range(num)
                  if candidate_mask[i, j]]
        picked = _top(scored, k, threshold)
        pairs |= {(i, col - 1) for col in picked}
        rows.append(_row_loss(big_s_row, 0, negatives, picked, mode))
    return torch.stack(rows).mean(), pairs


def _pairs(loss_fn):
    return {tuple(p) for p in loss_fn.last_stats['pairs'].tolist()}


def _correlated_batch(gen, n, d, noise):
    """Two views per image: view 2 is view 1 plus noise."""
    v1 = torch.randn(n, d, generator=gen, dtype=torch.float64)
    v2 = v1 + noise * torch.randn(n, d, generator=gen, dtype=torch.float64)
    return torch.cat([v1, v2])


def _check_simclr(z, loss_fn):
    z1 = z.clone().requires_grad_(True)
    z2 = z.clone().requires_grad_(True)
    ours = loss_fn(z1)
    ref, ref_pairs, tie = reference_simclr(z2, loss_fn.temperature,
                                           loss_fn.mode,
                                           loss_fn.num_candidates,
                                           loss_fn.similarity_threshold)
    ours.backward()
    ref.backward()
    torch.testing.assert_close(ours, ref, atol=1e-10, rtol=1e-10)
    torch.testing.assert_close(z1.grad, z2.grad, atol=1e-10, rtol=1e-10)
    assert _pairs(loss_fn) == ref_pairs
    assert loss_fn.last_stats['num_picked'] == len(ref_pairs)
    return ref_pairs, tie


@pytest.mark.parametrize('mode', ['eliminate', 'attract'])
@pytest.mark.parametrize('k,threshold', [(1, 0.7), (3, 0.2), (2, -1.0)])
def test_simclr_layout_matches_reference(mode, k, threshold):
    gen = torch.Generator().manual_seed(0)
    most = 0
    for trial in range(8):
        z = _correlated_batch(gen, 3 + trial % 4, 6, noise=0.2 + 0.2 *
                              (trial % 3))
        loss_fn = FNCLoss(temperature=0.3, mode=mode, num_candidates=k,
                          similarity_threshold=threshold)
        pairs, _ = _check_simclr(z, loss_fn)
        rows = [i for i, _ in pairs]
        most = max([most] + [rows.count(i) for i in set(rows)])
    # Several picks per row whenever more than one is allowed.
    assert most == k


@pytest.mark.parametrize('mode', ['eliminate', 'attract'])
@pytest.mark.parametrize('k', [1, 2])
def test_ties_go_to_the_first_column(mode, k):
    """Images 1, 2 and 3 are identical (both views) and close to image 0:
    every other row scores columns 1, 2, 3 (and 1 + N, 2 + N, 3 + N)
    equally, exactly, so k = 1 and k = 2 both cut through a tie."""
    gen = torch.Generator().manual_seed(1)
    n = 5
    z = _correlated_batch(gen, n, 6, noise=0.3)
    z[1] = z[2] = z[3] = z[0] + 0.1 * torch.randn(
        6, generator=gen, dtype=torch.float64)
    z[1 + n] = z[2 + n] = z[3 + n] = z[1] + 0.1 * torch.randn(
        6, generator=gen, dtype=torch.float64)
    loss_fn = FNCLoss(mode=mode, num_candidates=k, similarity_threshold=0.0)
    pairs, tie = _check_simclr(z, loss_fn)
    assert tie  # a tie decided at least one pick
    # A later tied column is never picked before an earlier one.
    for i in set(range(2 * n)) - {1, 2, 3, 1 + n, 2 + n, 3 + n}:
        for offset in (0, n):
            picked = [(i, c + offset) in pairs for c in (1, 2, 3)]
            assert picked == sorted(picked, reverse=True), (i, pairs)
    assert {(0, 1 + c) for c in range(k)} <= pairs or {
        (0, 1 + n + c) for c in range(k)} <= pairs


def test_per_row_tie_in_queue_layout():
    pos = torch.tensor([0.9, 0.95], dtype=torch.float64)
    neg = torch.tensor([[0.5, 0.8, 0.8, 0.1], [0.75, 0.3, 0.75, 0.75]],
                       dtype=torch.float64)
    loss_fn = FNCLoss(num_candidates=2, similarity_threshold=0.6)
    loss_fn.forward_similarities(pos, neg)
    assert _pairs(loss_fn) == {(0, 1), (0, 2), (1, 0), (1, 2)}


@pytest.mark.parametrize('mode', ['eliminate', 'attract'])
def test_threshold_picking_nothing_is_infonce(mode):
    gen = torch.Generator().manual_seed(2)
    z = _correlated_batch(gen, 5, 8, noise=0.05)
    tau = 0.4
    loss_fn = FNCLoss(temperature=tau, mode=mode, similarity_threshold=1.01)
    pairs, _ = _check_simclr(z, loss_fn)
    assert pairs == set()
    assert loss_fn.last_stats['num_picked'] == 0
    assert loss_fn.last_stats['pairs'].shape == (0, 2)
    zn = F.normalize(z, dim=1)
    logits = (zn @ zn.t() / tau).fill_diagonal_(-math.inf)
    infonce = F.cross_entropy(logits, (torch.arange(10) + 5) % 10)
    torch.testing.assert_close(loss_fn(z), infonce, atol=1e-12, rtol=0)


@pytest.mark.parametrize('mode', ['eliminate', 'attract'])
@pytest.mark.parametrize('k,threshold', [(1, 0.3), (3, -0.2)])
def test_queue_layout_matches_reference(mode, k, threshold):
    """forward_similarities, values and gradients, with masked negatives
    and restricted candidates."""
    gen = torch.Generator().manual_seed(3)
    for trial in range(4):
        m, num = 5, 7
        pos = (torch.rand(m, generator=gen, dtype=torch.float64) * 0.4 +
               0.6)
        neg = torch.rand(m, num, generator=gen, dtype=torch.float64) * 2 - 1
        neg_mask = candidate_mask = None
        if trial:
            neg_mask = torch.rand(m, num, generator=gen) > 0.2
            candidate_mask = neg_mask & (
                torch.rand(m, num, generator=gen) > 0.3) if trial > 1 \
                else None
        ours_in = [t.clone().requires_grad_(True) for t in (pos, neg)]
        ref_in = [t.clone().requires_grad_(True) for t in (pos, neg)]
        loss_fn = FNCLoss(temperature=0.2, mode=mode, num_candidates=k,
                          similarity_threshold=threshold, loss_weight=1.5)
        ours = loss_fn.forward_similarities(ours_in[0][:, None], ours_in[1],
                                            neg_mask, candidate_mask)
        ref, ref_pairs = reference_queue(*ref_in, 0.2, mode, k, threshold,
                                         neg_mask, candidate_mask)
        ref = ref * 1.5
        ours.backward()
        ref.backward()
        torch.testing.assert_close(ours, ref, atol=1e-10, rtol=1e-10)
        for a, b in zip(ours_in, ref_in):
            torch.testing.assert_close(a.grad, b.grad, atol=1e-10,
                                       rtol=1e-10)
        assert ref_pairs and _pairs(loss_fn) == ref_pairs
        if candidate_mask is not None:
            assert all(candidate_mask[i, j] for i, j in ref_pairs)


@pytest.mark.parametrize('mode', ['eliminate', 'attract'])
def test_gradient_against_finite_differences(mode):
    gen = torch.Generator().manual_seed(4)
    z = _correlated_batch(gen, 4, 5, noise=0.3).requires_grad_(True)
    loss_fn = FNCLoss(temperature=0.3, mode=mode, num_candidates=2,
                      similarity_threshold=0.0)
    assert torch.autograd.gradcheck(loss_fn, (z, ))
    assert loss_fn.last_stats['num_picked'] > 0


def test_eliminating_every_negative_leaves_a_zero_loss():
    """All negatives picked: l_i = -log(S_ip / S_ip) = 0, no gradient."""
    pos = torch.tensor([0.9, 0.8], dtype=torch.float64, requires_grad=True)
    neg = torch.tensor([[0.8, 0.75], [0.95, 0.1]], dtype=torch.float64,
                       requires_grad=True)
    loss_fn = FNCLoss(num_candidates=2, similarity_threshold=0.7)
    loss = loss_fn.forward_similarities(pos, neg)
    loss.backward()
    assert _pairs(loss_fn) == {(0, 0), (0, 1), (1, 0)}
    big = torch.exp(torch.tensor([0.8, 0.1, 0.95], dtype=torch.float64) / 0.5)
    expected = -torch.log(big[0] / (big[0] + big[1])) / 2
    torch.testing.assert_close(loss, expected)
    assert pos.grad[0] == 0 and (neg.grad[0] == 0).all()


@pytest.mark.parametrize('mode', ['eliminate', 'attract'])
def test_small_temperature_float64_and_float32(mode):
    """tau = 0.01: exp(s / tau) overflows float32. float64 matches the
    reference; float32 stays finite and picks the same pairs."""
    gen = torch.Generator().manual_seed(5)
    z = _correlated_batch(gen, 5, 8, noise=0.3)
    loss_fn = FNCLoss(temperature=0.01, mode=mode, num_candidates=2,
                      similarity_threshold=-0.5)
    pairs, _ = _check_simclr(z, loss_fn)
    z32 = z.float().requires_grad_(True)
    loss = loss_fn(z32)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(z32.grad).all()
    assert _pairs(loss_fn) == pairs


@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
@pytest.mark.parametrize('mode', ['eliminate', 'attract'])
def test_finite_under_autocast(dtype, mode):
    gen = torch.Generator().manual_seed(6)
    z = _correlated_batch(gen, 32, 32, noise=0.5).float()
    proj = torch.nn.Linear(32, 16)
    loss_fn = FNCLoss(temperature=0.05, mode=mode, num_candidates=2,
                      similarity_threshold=0.5)
    with torch.autocast('cpu', dtype=dtype):
        emb = proj(z)
        assert emb.dtype == dtype  # autocast is on
        loss = loss_fn(emb)
    loss.backward()
    assert loss.dtype == torch.float32
    assert torch.isfinite(loss)
    assert torch.isfinite(proj.weight.grad).all()
    assert loss_fn.last_stats['num_picked'] > 0
    with torch.autocast('cpu', dtype=dtype):
        loss = loss_fn.forward_similarities(
            torch.rand(8, 1).to(dtype), torch.rand(8, 64).to(dtype))
    assert torch.isfinite(loss)


@pytest.mark.parametrize('loss_fn', [
    FNCLoss(mode='eliminate', similarity_threshold=0.0),
    FNCLoss(mode='attract', similarity_threshold=0.0, num_candidates=2),
    FNCCLoss(positive_threshold=-1.0, selection='per_anchor'),
    DebiasedContrastiveLoss(class_prior=0.2),
], ids=['fnc-eliminate', 'fnc-attract', 'fncc', 'dcl'])
def test_diagnostics_are_returned_not_set_by_the_computation(loss_fn):
    """The autograd Function returns the diagnostics; a second run of it
    (as a recomputed forward pass would be) leaves the module's state
    alone, and the entry point assigns them once, columns of ``neg``."""
    gen = torch.Generator().manual_seed(7)
    pos = torch.rand(4, generator=gen, dtype=torch.float64) * 0.2 + 0.8
    neg = torch.rand(4, 6, generator=gen, dtype=torch.float64)
    loss = loss_fn.forward_similarities(pos, neg)
    stats = loss_fn.last_stats
    assert stats['pairs'].shape[1] == 2
    if not isinstance(loss_fn, DebiasedContrastiveLoss):
        assert stats['pairs'].numel() > 0
        assert stats['pairs'][:, 1].max() < neg.size(1)
    # The computation on its own, as the Function runs it.
    from false_plugin.models.losses.contrastive_base import Layout
    logits = torch.cat([pos[:, None], neg], 1) / loss_fn.temperature
    exclusion = torch.zeros_like(logits[:1])
    exclusion[:, 0] = math.inf
    again, returned = loss_fn._evaluate(
        logits, Layout(torch.zeros(4, dtype=torch.long), exclusion,
                       simclr=False, col_offset=1))
    assert loss_fn.last_stats is stats
    torch.testing.assert_close(again, loss)
    assert returned.keys() == stats.keys()
    assert torch.equal(returned['pairs'], stats['pairs'])


@pytest.mark.parametrize('cls', [FNCLoss, FNCCLoss, DebiasedContrastiveLoss])
def test_module_moves_and_casts(cls):
    """nn.Module's own machinery (``to``, ``double``...) still works: the
    losses override none of its methods."""
    loss_fn = cls().to('cpu').double().float()
    z = torch.randn(8, 4)
    assert torch.isfinite(loss_fn(z))
    assert torch.nn.Sequential(torch.nn.Linear(4, 4),
                               loss_fn).to(torch.float64) is not None


def test_registered_and_built_by_config():
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        loss_fn = MODELS.build(
            dict(type='FNCLoss', mode='attract', num_candidates=3,
                 similarity_threshold=0.5, temperature=0.2))
    assert isinstance(loss_fn, FNCLoss)
    assert (loss_fn.mode, loss_fn.num_candidates,
            loss_fn.similarity_threshold,
            loss_fn.temperature) == ('attract', 3, 0.5, 0.2)
    default = FNCLoss()
    assert (default.temperature, default.mode, default.num_candidates,
            default.similarity_threshold,
            default.loss_weight) == (0.5, 'eliminate', 1, 0.7, 1.0)


@pytest.mark.parametrize('kwargs,match', [
    (dict(mode='cancel'), 'mode'),
    (dict(num_candidates=0), 'num_candidates'),
    (dict(num_candidates=1.5), 'num_candidates'),
    (dict(temperature=0.0), 'temperature'),
])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FNCLoss(**kwargs)


def test_invalid_shapes():
    with pytest.raises(ValueError, match='even'):
        FNCLoss()(torch.randn(5, 4))
    with pytest.raises(ValueError, match='neg must be'):
        FNCLoss().forward_similarities(torch.rand(3), torch.rand(4, 5))
