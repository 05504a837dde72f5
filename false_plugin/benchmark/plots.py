"""PNG plots of a :class:`~.report.BenchmarkReport` (matplotlib, Agg
backend: no display needed)."""
import os.path as osp
from typing import Dict, List, Optional, Tuple

import numpy as np

from .report import BenchmarkReport


def _pyplot():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def plot_miou(report: BenchmarkReport, path: str) -> str:
    """Bars of each method's mIoU per labelled fraction, error bars = std
    over seeds (none with a single seed), values printed in the bars."""
    plt = _pyplot()
    names, fractions = report.methods, list(report.fractions)
    spread = len(report.seeds) > 1
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(names), 3.6))
    width = 0.8 / len(fractions)
    for j, fraction in enumerate(fractions):
        s = report.method_stats(fraction, 'mIoU')
        bars = ax.bar(
            np.arange(len(names)) + j * width, [x['mean'] for x in s],
            width, yerr=[x['std'] for x in s] if spread else None,
            capsize=4, label=fraction)
        ax.bar_label(bars, fmt='%.1f', fontsize=7, label_type='center')
    ax.set_xticks(np.arange(len(names)) + width * (len(fractions) - 1) / 2)
    ax.set_xticklabels(names, fontsize=8)
    ax.set_ylabel('test mIoU (%)')
    ax.set_title(f'mIoU, mean ± std over {len(report.seeds)} seed(s)')
    ax.legend(title='labels', fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_per_class_iou(report: BenchmarkReport, path: str) -> str:
    """Per-class IoU bars of every method, one panel per labelled fraction,
    error bars = std over seeds."""
    plt = _pyplot()
    names, classes = report.methods, report.classes
    fractions = list(report.fractions)
    spread = len(report.seeds) > 1
    fig, axes = plt.subplots(
        len(fractions), 1, squeeze=False,
        figsize=(2 + 0.9 * len(classes) + 0.3 * len(names),
                 3.6 * len(fractions)))
    width = 0.8 / len(names)
    for ax, fraction in zip(axes[:, 0], fractions):
        for j, name in enumerate(names):
            s = [report.summary[name][fraction][f'IoU.{c}'] for c in classes]
            ax.bar(np.arange(len(classes)) + j * width,
                   [x['mean'] for x in s], width,
                   yerr=[x['std'] for x in s] if spread else None,
                   capsize=2, label=name)
        ax.set_xticks(np.arange(len(classes)) + width * (len(names) - 1) / 2)
        ax.set_xticklabels(classes, rotation=30, ha='right', fontsize=8)
        ax.set_ylabel('IoU (%)')
        ax.set_title(f'Per-class IoU, labels {fraction}', fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def mean_curve(runs: Dict[int, dict],
               key: str) -> Tuple[np.ndarray, np.ndarray]:
    """The mean over seeds of one FNS curve, at the iterations every seed
    that logged it has.

    Args:
        runs (dict): ``{seed: {key: {iteration: value}}}``
            (:attr:`BenchmarkReport.fns_curves` of a method).
        key (str): ``fns_precision`` or ``fns_chance``.

    Returns:
        tuple[np.ndarray, np.ndarray]: Iterations and mean values (empty if
        no seed logged ``key``).
    """
    curves = [run[key] for run in runs.values() if run.get(key)]
    if not curves:
        return np.zeros(0, int), np.zeros(0)
    steps = sorted(set.intersection(*(set(c) for c in curves)))
    return np.asarray(steps), np.asarray(
        [np.nanmean([c[step] for c in curves]) for step in steps])


def plot_fns(report: BenchmarkReport, path: str) -> Optional[str]:
    """FNS precision (solid) and chance (dashed) over the pretraining
    iterations, one colour per method that logged them, mean over seeds
    (thin lines: each seed's precision); None, and no file, when no method
    logged them."""
    if not report.fns_curves:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for j, (name, runs) in enumerate(report.fns_curves.items()):
        colour = f'C{j}'
        if len(runs) > 1:
            for run in runs.values():
                steps = sorted(run.get('fns_precision', {}))
                ax.plot(steps, [run['fns_precision'][s] for s in steps],
                        color=colour, alpha=0.3, linewidth=0.8)
        steps, precision = mean_curve(runs, 'fns_precision')
        ax.plot(steps, precision, color=colour, label=f'{name} precision')
        steps, chance = mean_curve(runs, 'fns_chance')
        ax.plot(steps, chance, color=colour, linestyle='--',
                label=f'{name} chance')
    ax.set_xlabel('pretraining iteration')
    ax.set_ylabel('same-class share of pairs')
    ax.set_ylim(0, 1)
    ax.set_title('FNS precision vs chance (running totals), mean over '
                 f'{len(report.seeds)} seed(s)', fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_report(report: BenchmarkReport, work_dir: str) -> List[str]:
    """``work_dir/miou.png``, ``work_dir/per_class_iou.png`` and, when
    pretraining logged FNS precision, ``work_dir/fns_precision.png``.

    Returns:
        list[str]: The files written.
    """
    paths = [
        plot_miou(report, osp.join(work_dir, 'miou.png')),
        plot_per_class_iou(report, osp.join(work_dir, 'per_class_iou.png')),
        plot_fns(report, osp.join(work_dir, 'fns_precision.png'))
    ]
    return [p for p in paths if p is not None]
