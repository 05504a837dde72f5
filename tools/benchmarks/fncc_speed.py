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
:func:`false_plugin.speed.fncc_speed.time_calls`, where the losses and the
timing live). One table of times and ratios is printed, all from the same
run. The embeddings are like a trained encoder's: the second view of
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


def parse_args(argv=None) -> argparse.Namespace:
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
    args = parser.parse_args(argv)
    for name in ('batch_sizes', 'dim', 'repeats', 'rounds'):
        values = getattr(args, name)
        if min(values if isinstance(values, list) else [values]) < 1:
            parser.error(f'--{name.replace("_", "-")} must be at least 1, '
                         f'got {values}')
    for name in ('loop_max_cpu', 'loop_max_cuda'):
        if getattr(args, name) < 0:
            parser.error(f'--{name.replace("_", "-")} must be at least 0, '
                         f'got {getattr(args, name)}')
    odd = [b for b in args.batch_sizes if b % 2]
    if odd:
        parser.error(f'--batch-sizes must be even (two views per image), '
                     f'got {odd}')
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    import torch

    from false_plugin.models.losses import (DebiasedContrastiveLoss,
                                            FNCCLoss, FNCLoss)
    from false_plugin.speed.fncc_speed import (ALPHA, CLASS_PRIOR,
                                               FNC_THRESHOLD, TAU, THRESHOLD,
                                               UpstreamSimCLRLoss, infonce,
                                               row_loop, time_calls,
                                               two_views)
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
