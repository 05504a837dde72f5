"""Losses and timing behind ``tools/benchmarks/fncc_speed.py``: InfoNCE
(plain, and as mmselfsup's SimCLR computes it), the authors' row loop, the
two-view embeddings and the timing of forward + backward calls."""
import math
import time
from typing import Callable, List, Sequence

import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmselfsup.models.algorithms import SimCLR
from mmselfsup.registry import MODELS

TAU, ALPHA, THRESHOLD = 0.5, 1.0, 0.9
FNC_THRESHOLD, CLASS_PRIOR = 0.2, 0.1


def infonce(z: torch.Tensor) -> torch.Tensor:
    """Plain SimCLR InfoNCE (cross-entropy over the other 2N - 1 rows)."""
    z = F.normalize(z, dim=1)
    logits = (z @ z.t() / TAU).fill_diagonal_(float('-inf'))
    rows = torch.arange(z.size(0), device=z.device)
    return F.cross_entropy(logits, (rows + z.size(0) // 2) % z.size(0))


class UpstreamSimCLRLoss:
    """InfoNCE as mmselfsup 1.0.0's ``SimCLR.loss`` computes it after the
    neck: masked selects of the positives and negatives, then
    ``ContrastiveHead`` (the loss a SimCLR baseline config trains with)."""

    def __init__(self) -> None:
        with DefaultScope.overwrite_default_scope('mmselfsup'):
            self.head = MODELS.build(
                dict(type='ContrastiveHead',
                     loss=dict(type='mmcls.CrossEntropyLoss'),
                     temperature=TAU))

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        # mmselfsup pairs rows (2k, 2k + 1); the layout does not change the
        # time.
        z = z / (torch.norm(z, p=2, dim=1, keepdim=True) + 1e-10)
        s = torch.matmul(z, z.permute(1, 0))
        mask, pos_idx, neg_mask = SimCLR._create_buffer(
            z.size(0) // 2, s.device)
        s = torch.masked_select(s, mask == 1).reshape(s.size(0), -1)
        positive = s[pos_idx].unsqueeze(1)
        negative = torch.masked_select(s, neg_mask == 1).reshape(s.size(0), -1)
        return self.head(positive, negative)


def row_loop(z: torch.Tensor) -> torch.Tensor:
    """The authors' computation: one Python iteration (and sync) per row."""
    z = F.normalize(z, dim=1)
    n2 = z.size(0)
    n = n2 // 2
    sim = z @ z.t()
    exp_sim = torch.exp(sim / TAU)
    best, best_pair = float('inf'), None
    for i in range(n2):  # FNSD: the global minimum gap, row by row
        p = (i + n) % n2
        gap = (exp_sim[i] - exp_sim[i, p]).abs()
        gap[:i + 1] = float('inf')
        gap[p] = float('inf')
        value, j = gap.min(0)
        if value.item() < best:
            best, best_pair = value.item(), (i, int(j))
    losses = []
    for i in range(n2):  # FNCC: the calibrated loss, row by row
        p = (i + n) % n2
        pos = exp_sim[i, p]
        neg = exp_sim[i].sum() - exp_sim[i, i] - pos
        a, m = best_pair
        if i == a and sim[a, (a + n) % n2].item() >= THRESHOLD:
            pos = pos + ALPHA * exp_sim[a, m]
            neg = neg - ALPHA * exp_sim[a, m]
        losses.append(-torch.log(pos / (pos + neg)))
    return torch.stack(losses).mean()


def two_views(rows: int, dim: int) -> torch.Tensor:
    """``(rows, dim)`` embeddings ``[view1; view2]``, view 2 = view 1 plus
    noise (positive cosines around 0.95)."""
    gen = torch.Generator().manual_seed(rows)
    view1 = torch.randn(rows // 2, dim, generator=gen)
    view2 = view1 + 0.3 * torch.randn(rows // 2, dim, generator=gen)
    return torch.cat([view1, view2])


def time_calls(fns: Sequence[Callable], z: torch.Tensor, repeats: int,
               rounds: int = 3) -> List[float]:
    """Fastest forward + backward pass of each loss, in seconds.

    In each of ``rounds`` rounds every loss in turn runs one warm-up call
    and then ``repeats`` timed calls in a row: a block of its own measures
    a loss in its steady state, as a training loop calls it. (Interleaving
    single calls makes each loss pay for what the previous one left in the
    caches and the allocator; after mmselfsup's loss, which allocates most,
    that costs the next loss 10-15% at B=512 on the CPU.) The rounds spread
    slow drifts of the machine over all losses; the minimum is the least
    disturbed call.
    """

    def once(fn):
        x = z.clone().requires_grad_(True)
        if z.is_cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn(x).backward()
        if z.is_cuda:
            torch.cuda.synchronize()
        return time.perf_counter() - start

    best = [math.inf] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            once(fn)  # warm-up
            best[i] = min([best[i]] + [once(fn) for _ in range(repeats)])
    return best
