"""PNG plots of a :class:`~.report.BenchmarkReport` (matplotlib, Agg
backend: no display needed)."""
import os.path as osp
from typing import List

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


def plot_report(report: BenchmarkReport, work_dir: str) -> List[str]:
    """``work_dir/miou.png`` and ``work_dir/per_class_iou.png``."""
    return [
        plot_miou(report, osp.join(work_dir, 'miou.png')),
        plot_per_class_iou(report, osp.join(work_dir, 'per_class_iou.png'))
    ]
