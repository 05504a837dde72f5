"""Write deterministic label-fraction splits of a dataset's training patches.

    python tools/make_split.py DATA_ROOT [--split train] \
        [--fractions 0.01 0.05 0.1] [--seed 0] [--suffix .png]

Reads the patch stems of ``DATA_ROOT/img_dir/SPLIT`` and writes
``DATA_ROOT/splits/SPLIT_{pct}pct.txt`` (one stem per line, sorted), with
``round(fraction * N)`` patches (at least one) drawn with the given seed:
1% of Potsdam's 13,824 training patches is 138. A split that a conversion
left unfinished (an interrupted run) is refused, naming its tiles.
"""
import argparse
import os.path as osp
from typing import Optional, Sequence


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='make_split.py', description=__doc__.split('\n')[0])
    parser.add_argument('data_root')
    parser.add_argument('--split', default='train')
    parser.add_argument('--fractions', type=float, nargs='+',
                        default=[0.01, 0.05, 0.1])
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--suffix', default='.png')
    args = parser.parse_args(argv)
    bad = [f for f in args.fractions if not 0 < f <= 1]
    if bad:
        parser.error(f'--fractions must be in (0, 1], got {bad}')
    if not osp.isdir(args.data_root):
        parser.error(f'{args.data_root}: no such folder')
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    from false_plugin.conversion.splits import write_splits
    try:
        write_splits(args.data_root, args.split, args.fractions, args.seed,
                     args.suffix, log=lambda line: print(line, flush=True))
    except (RuntimeError, FileNotFoundError) as err:
        raise SystemExit(f'error: {err}')


if __name__ == '__main__':
    main()
