"""Speed of FNCCLoss (official and per-anchor selection), of its peers
FNCLoss (elimination and attraction) and DebiasedContrastiveLoss, against
InfoNCE (plain, and as mmselfsup's SimCLR computes it) and against a row loop
like the authors'.

    python tools/benchmarks/fncc_speed.py [--batch-sizes 256 512 1024 4096]
        [--dim 128] [--repeats 20] [--rounds 3] [--devices cpu cuda]
        [--loop-max-cpu 1024] [--loop-max-cuda 4096]

Forward + backward of one loss call on ``B`` rows (``B / 2`` images, two
views each) on each available device: the fastest call of ``--rounds``
rounds in which each loss runs ``--repeats`` timed calls in a row (see
:func:`time_calls`). One table of times and ratios is printed, all from the
same run. The embeddings are like a trained encoder's: the second view of
each image is the first plus noise, so most positive pairs pass the gate
(``T = 0.9``) and the FNCC correction is part of the timing; FNC runs with
``similarity_threshold=0.2`` (its default 0.7 picks nothing among these
embeddings, whose cross-image cosines are about 0 +- 0.09), so nearly every
row picks a negative (the counts are printed). The row loop
follows the authors' VISSL code: exponentiated similarities summed row by
row in Python, with a host sync per row (on the CPU it is skipped above
``--loop-max-cpu`` rows: at 4096 rows one call takes about five minutes; on
a GPU above ``--loop-max-cuda``).
"""
import argparse
import math
import sys
import time
from os import path as osp
from typing import Callable, List, Sequence

import torch
import torch.nn.functional as F

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
from mmengine.registry import DefaultScope  # noqa: E402
from mmselfsup.models.algorithms import SimCLR  # noqa: E402
from mmselfsup.registry import MODELS  # noqa: E402

from false_plugin.models.losses import (  # noqa: E402
    DebiasedContrastiveLoss, FNCCLoss, FNCLoss)

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch-sizes', type=int, nargs='+',
                        default=[256, 512, 1024, 4096])
    parser.add_argument('--dim', type=int, default=128)
    parser.add_argument('--repeats', type=int, default=20,
                        help='timed calls in a row per loss and round')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--devices', nargs='+', default=['cpu', 'cuda'])
    parser.add_argument('--loop-max-cpu', type=int, default=1024)
    parser.add_argument('--loop-max-cuda', type=int, default=4096)
    args = parser.parse_args()
    devices = [
        d for d in args.devices if d != 'cuda' or torch.cuda.is_available()
    ]
    if len(devices) < len(args.devices):
        print('cuda: no CUDA device visible, its rows are skipped')
    fncc = FNCCLoss(temperature=TAU, confidence_weight=ALPHA,
                    positive_threshold=THRESHOLD)
    per_anchor = FNCCLoss(temperature=TAU, confidence_weight=ALPHA,
                          positive_threshold=THRESHOLD,
                          selection='per_anchor')
    peers = [
        FNCLoss(temperature=TAU, mode=mode,
                similarity_threshold=FNC_THRESHOLD)
        for mode in ('eliminate', 'attract')
    ] + [DebiasedContrastiveLoss(temperature=TAU, class_prior=CLASS_PRIOR)]
    print(f'torch {torch.__version__}, {torch.get_num_threads()} CPU '
          f'threads, D={args.dim}, forward + backward, best of '
          f'{args.rounds} x {args.repeats} calls')
    upstream = UpstreamSimCLRLoss()
    print('| device | B | InfoNCE (ms) | mmselfsup SimCLR (ms) | FNCC (ms) | '
          'FNCC per-anchor (ms) | FNC elim (ms) | FNC attract (ms) | '
          'DCL (ms) | row loop (ms) | FNCC / InfoNCE | '
          'per-anchor / InfoNCE | FNC elim / InfoNCE | '
          'FNC attract / InfoNCE | DCL / InfoNCE | FNCC / mmselfsup | '
          'row loop / FNCC | picked pairs (FNCC, per-anchor, FNC) |')
    print('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|'
          '---|---|---|')
    for device in devices:
        for rows in args.batch_sizes:
            z = two_views(rows, args.dim).to(device)
            (t_info, t_upstream, t_fncc, t_anchor, t_elim, t_attract,
             t_dcl) = time_calls([infonce, upstream, fncc, per_anchor] +
                                 peers, z, args.repeats, args.rounds)
            picked = ', '.join(
                str(int(loss.last_stats['num_picked']))
                for loss in (fncc, per_anchor, peers[0]))
            loop = ''
            ratio = ''
            loop_max = args.loop_max_cpu if device == 'cpu' else \
                args.loop_max_cuda
            if rows <= loop_max:
                t_loop, = time_calls([row_loop], z, 2, rounds=1)
                loop, ratio = f'{t_loop * 1e3:.1f}', f'{t_loop / t_fncc:.0f}x'
            print(f'| {device} | {rows} | {t_info * 1e3:.2f} | '
                  f'{t_upstream * 1e3:.2f} | {t_fncc * 1e3:.2f} | '
                  f'{t_anchor * 1e3:.2f} | {t_elim * 1e3:.2f} | '
                  f'{t_attract * 1e3:.2f} | {t_dcl * 1e3:.2f} | '
                  f'{loop or "skipped"} | '
                  f'{t_fncc / t_info:.2f}x | {t_anchor / t_info:.2f}x | '
                  f'{t_elim / t_info:.2f}x | {t_attract / t_info:.2f}x | '
                  f'{t_dcl / t_info:.2f}x | '
                  f'{t_fncc / t_upstream:.2f}x | {ratio or "-"} | '
                  f'{picked} |',
                  flush=True)


if __name__ == '__main__':
    main()
