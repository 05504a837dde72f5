"""Write deterministic label-fraction splits of a dataset's training patches.

    python tools/make_split.py DATA_ROOT [--split train] \
        [--fractions 0.01 0.05 0.1] [--seed 0] [--suffix .png]

Reads the patch stems of ``DATA_ROOT/img_dir/SPLIT`` and writes
``DATA_ROOT/splits/SPLIT_{pct}pct.txt`` (one stem per line, sorted), with
``round(fraction * N)`` patches (at least one) drawn with the given seed:
1% of Potsdam's 13,824 training patches is 138.
"""
import argparse
import os
import os.path as osp
import random
from typing import List


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('data_root')
    parser.add_argument('--split', default='train')
    parser.add_argument('--fractions', type=float, nargs='+',
                        default=[0.01, 0.05, 0.1])
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--suffix', default='.png')
    return parser.parse_args()


def split_name(fraction: float) -> str:
    """``0.01`` -> ``'1pct'``, ``0.005`` -> ``'0.5pct'``."""
    return f'{fraction * 100:g}pct'


def make_subset(stems: List[str], fraction: float, seed: int) -> List[str]:
    """A seeded random subset of ``round(fraction * len(stems))`` stems."""
    if not 0 < fraction <= 1:
        raise ValueError(f'fraction must be in (0, 1], got {fraction}')
    count = max(1, round(fraction * len(stems)))
    return sorted(random.Random(seed).sample(sorted(stems), count))


def main() -> None:
    args = parse_args()
    img_dir = osp.join(args.data_root, 'img_dir', args.split)
    stems = [
        name[:-len(args.suffix)] for name in os.listdir(img_dir)
        if name.endswith(args.suffix)
    ]
    if not stems:
        raise SystemExit(f'{img_dir}: no *{args.suffix} patches')
    out_dir = osp.join(args.data_root, 'splits')
    os.makedirs(out_dir, exist_ok=True)
    for fraction in args.fractions:
        subset = make_subset(stems, fraction, args.seed)
        path = osp.join(out_dir, f'{args.split}_{split_name(fraction)}.txt')
        with open(path, 'w') as f:
            f.write('\n'.join(subset) + '\n')
        print(f'{path}: {len(subset)} of {len(stems)} patches')


if __name__ == '__main__':
    main()
