"""Deterministic label-fraction splits of a dataset's training patches."""
import os
import os.path as osp
import random
from typing import Callable, List, Optional, Sequence

from ..fileio import is_temporary, write_text_atomically
from .patching import check_finished


def split_name(fraction: float) -> str:
    """``0.01`` -> ``'1pct'``, ``0.005`` -> ``'0.5pct'``."""
    return f'{fraction * 100:g}pct'


def make_subset(stems: List[str], fraction: float, seed: int) -> List[str]:
    """A seeded random subset of ``round(fraction * len(stems))`` stems
    (at least one)."""
    if not 0 < fraction <= 1:
        raise ValueError(f'fraction must be in (0, 1], got {fraction}')
    count = max(1, round(fraction * len(stems)))
    return sorted(random.Random(seed).sample(sorted(stems), count))


def write_splits(data_root: str,
                 split: str = 'train',
                 fractions: Sequence[float] = (0.01, 0.05, 0.1),
                 seed: int = 0,
                 suffix: str = '.png',
                 log: Optional[Callable[[str], None]] = print) -> List[str]:
    """Write ``data_root/splits/{split}_{pct}pct.txt`` for each fraction.

    Args:
        data_root (str): The dataset root.
        split (str): The split whose patches are drawn from.
        fractions (Sequence[float]): Fractions in (0, 1].
        seed (int): The random seed.
        suffix (str): Suffix of the image patches.
        log: Called with a line per file written; None for silence.

    Returns:
        list[str]: The files written.

    Raises:
        RuntimeError: If a conversion left tiles of the split unfinished
            (their patches are not all there): named.
        FileNotFoundError: If the split has no patch.
    """
    check_finished(data_root, split)
    img_dir = osp.join(data_root, 'img_dir', split)
    stems = [name[:-len(suffix)] for name in
             (os.listdir(img_dir) if osp.isdir(img_dir) else [])
             if name.endswith(suffix) and not is_temporary(name)]
    if not stems:
        raise FileNotFoundError(f'{img_dir}: no *{suffix} patches')
    out_dir = osp.join(data_root, 'splits')
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for fraction in fractions:
        subset = make_subset(stems, fraction, seed)
        path = osp.join(out_dir, f'{split}_{split_name(fraction)}.txt')
        write_text_atomically(path, '\n'.join(subset) + '\n')
        written.append(path)
        if log is not None:
            log(f'{path}: {len(subset)} of {len(stems)} patches')
    return written
