"""The results of a baseline-vs-FALSE benchmark, summarised over seeds.

:func:`gather_report` reads every run's test metrics and pretraining
diagnostics from the benchmark's work dir, and :class:`BenchmarkReport`
turns them into ``results.md`` and ``results.json``.
"""
import glob
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config

from .stages import pretrain_dir, test_metrics_file

#: The headline metrics of RSSegMetric, in table order.
SUMMARY_METRICS = ('mIoU', 'OA', 'Kappa', 'mF1')
#: FNS diagnostics shown first.
FNS_FIRST = ('fns_precision', 'fns_chance')


def read_scalars(run_dir: str) -> List[dict]:
    """Every logged step of a training run, resumed runs included.

    mmengine writes the training scalars, one JSON line per logging step,
    to ``<work_dir>/<timestamp>/vis_data/scalars.json``; a resumed run logs
    into a new timestamp dir.

    Args:
        run_dir (str): The training work dir.

    Returns:
        list[dict]: The logged lines, in the order of the runs.
    """
    lines = []
    for path in sorted(
            glob.glob(osp.join(run_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            lines += [json.loads(line) for line in f if line.strip()]
    return lines


def read_fns(run_dir: str) -> Dict[str, float]:
    """FNS diagnostics logged by a pretraining run.

    Args:
        run_dir (str): The pretraining work dir.

    Returns:
        dict: The last value of each ``fns_*`` scalar (running totals of
        ``FNSPrecisionHook``) and the mean of each ``fnsd_*`` scalar
        (per-batch diagnostics of the FALSE algorithms) over every logged
        step of every (resumed) run; empty for a baseline.
    """
    last, series = {}, defaultdict(list)
    for line in read_scalars(run_dir):
        for key, value in line.items():
            if key.startswith('fns_'):
                last[key] = float(value)
            elif key.startswith('fnsd_'):
                series[key].append(float(value))
    return dict(last, **{k: float(np.mean(v)) for k, v in series.items()})


def read_fns_curves(run_dir: str) -> Dict[str, Dict[int, float]]:
    """``fns_precision`` and ``fns_chance`` of a pretraining run over its
    iterations.

    Args:
        run_dir (str): The pretraining work dir.

    Returns:
        dict: ``{key: {iteration: value}}`` for each of :data:`FNS_FIRST`
        the run logged (a step logged again by a resumed run: its last
        value); empty for a run without ``FNSPrecisionHook``.
    """
    curves = defaultdict(dict)
    for line in read_scalars(run_dir):
        step = int(line.get('step', line.get('iter', 0)))
        for key in FNS_FIRST:
            if key in line:
                curves[key][step] = float(line[key])
    return dict(curves)


def stats(values: Sequence[float]) -> dict:
    """``mean``, sample ``std`` (0 for a single value) and ``n``."""
    values = np.asarray(values, dtype=float)
    return dict(
        mean=float(np.mean(values)),
        std=float(np.std(values, ddof=1)) if values.size > 1 else 0.0,
        n=int(values.size))


def fmt_stats(s: dict, sign: bool = False) -> str:
    """``61.23 ± 0.45``; a single seed has no spread: ``61.23 ± n/a``; a
    value never logged (NaN): ``n/a``."""
    if np.isnan(s['mean']):
        return 'n/a'
    mean = f'{s["mean"]:+.2f}' if sign else f'{s["mean"]:.2f}'
    return f'{mean} ± {s["std"]:.2f}' if s['n'] > 1 else f'{mean} ± n/a'


def md_table(header: List[str], rows: List[List[str]]) -> List[str]:
    """A Markdown table, one line per element."""
    return ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)
            ] + ['| ' + ' | '.join(row) + ' |' for row in rows]


class BenchmarkReport:
    """Test metrics of every (method, labelled fraction, seed), summarised.

    Args:
        metrics (dict): ``metrics[method][fraction][seed]``: the test metrics
            of a run (``tools/test.py``'s ``metrics.json``), methods in table
            order.
        fns (dict): ``fns[method][seed]``: :func:`read_fns` of the method's
            pretraining (absent for a method without pretraining).
        fns_curves (dict, optional): ``fns_curves[method][seed]``:
            :func:`read_fns_curves` of the method's pretraining.
        seeds (Sequence[int]): The seeds, the same for every method.
        fractions (dict): Labelled fraction name -> its split file.
        pairs (Sequence[tuple]): ``(ours, baseline)`` method names compared
            seed by seed.
        seg_config (str): The segmentation config (for the header).
    """

    def __init__(self,
                 metrics: Dict[str, Dict[str, Dict[int, dict]]],
                 fns: Dict[str, Dict[int, dict]],
                 seeds: Sequence[int],
                 fractions: Dict[str, str],
                 pairs: Sequence[Tuple[str, str]] = (),
                 seg_config: str = '',
                 fns_curves: Optional[Dict[str, Dict[int, dict]]] = None
                 ) -> None:
        self.metrics = metrics
        self.fns = fns
        #: ``{method: {seed: {key: {iteration: value}}}}`` of the methods
        #: that logged FNS precision.
        self.fns_curves = {
            name: runs
            for name, runs in (fns_curves or {}).items()
            if any(runs.values())
        }
        self.seeds = list(seeds)
        self.fractions = dict(fractions)
        self.pairs = [tuple(p) for p in pairs]
        self.seg_config = seg_config
        self.methods = list(metrics)
        first = metrics[self.methods[0]][next(iter(self.fractions))]
        keys = list(first[self.seeds[0]])
        #: Every metric of the runs: summary metrics first.
        self.keys = [k for k in SUMMARY_METRICS if k in keys
                     ] + [k for k in keys if k not in SUMMARY_METRICS]
        #: The summary metrics the runs have.
        self.main = [k for k in SUMMARY_METRICS if k in keys]
        #: Class names of the per-class IoU.
        self.classes = [k[4:] for k in keys if k.startswith('IoU.')]
        self.summary = {
            name: {
                fraction: {k: self._stats(name, fraction, k)
                           for k in self.keys}
                for fraction in self.fractions
            }
            for name in self.methods
        }
        self.differences = {
            f'{ours} - {base}': {
                fraction: {k: self._paired(ours, base, fraction, k)
                           for k in self.keys}
                for fraction in self.fractions
            }
            for ours, base in self.pairs
        }

    def _stats(self, name: str, fraction: str, key: str) -> dict:
        runs = self.metrics[name][fraction]
        return stats([runs[s][key] for s in self.seeds])

    def _paired(self, ours: str, base: str, fraction: str, key: str) -> dict:
        a, b = self.metrics[ours][fraction], self.metrics[base][fraction]
        values = [a[s][key] - b[s][key] for s in self.seeds]
        return dict(stats(values), values=values)

    def to_dict(self) -> dict:
        """Everything, for ``results.json``."""
        return dict(
            seeds=self.seeds,
            seg_config=self.seg_config,
            fractions=self.fractions,
            pairs=self.pairs,
            metrics=self.metrics,
            fns=self.fns,
            fns_curves=self.fns_curves,
            summary=self.summary,
            differences=self.differences)

    def markdown(self) -> str:
        """The ``results.md`` text."""
        lines = [
            '# Benchmark results', '',
            f'Segmentation config: `{self.seg_config}`; seeds {self.seeds}. '
            'Test-set metrics in percent, mean ± sample std over the seeds '
            '(each seed pretrains and fine-tunes anew).', ''
        ]
        for fraction, split in self.fractions.items():
            lines += [f'## Labelled fraction `{fraction}` (`{split}`)', '']
            lines += md_table(['method', *self.main], [[
                name, *(fmt_stats(self.summary[name][fraction][k])
                        for k in self.main)
            ] for name in self.methods])
            lines += self._differences_table(fraction)
            if self.classes:
                lines += ['', 'Per-class IoU:', '']
                lines += md_table(['method', *self.classes], [[
                    name, *(fmt_stats(self.summary[name][fraction][f'IoU.{c}'])
                            for c in self.classes)
                ] for name in self.methods])
            lines.append('')
        lines += self._fns_section()
        lines += [
            'Plots: `miou.png` (mIoU, error bars = std over seeds), '
            '`per_class_iou.png`' +
            (', `fns_precision.png` (FNS precision and chance over the '
             'pretraining iterations)' if self.fns_curves else '') +
            '. Per-run metrics: `results.json`.', ''
        ]
        return '\n'.join(lines)

    def _differences_table(self, fraction: str) -> List[str]:
        if not self.differences:
            return []
        rows = []
        for pair, by_fraction in self.differences.items():
            diff = by_fraction[fraction]
            better = sum(v > 0 for v in diff['mIoU']['values'])
            rows.append([
                pair.replace(' - ', ' − '),
                *(fmt_stats(diff[k], sign=True) for k in self.main),
                f'{better}/{diff["mIoU"]["n"]}'
            ])
        return [
            '', 'Method − baseline, paired by seed (mean ± std of the '
            'per-seed differences; seeds where the method is better):', '',
            *md_table(['comparison', *(f'Δ {k}' for k in self.main),
                       'mIoU better'], rows)
        ]

    def _fns_section(self) -> List[str]:
        logged = {name: runs for name, runs in self.fns.items()
                  if any(runs.get(s) for s in self.seeds)}
        if not logged:
            return []
        keys = sorted({k for runs in logged.values()
                       for r in runs.values() for k in r},
                      key=lambda k: (FNS_FIRST.index(k) if k in FNS_FIRST
                                     else 2, not k.startswith('fns_'), k))
        rows = [[name] + [
            fmt_stats(stats([runs[s].get(k, np.nan) for s in self.seeds]))
            for k in keys
        ] for name, runs in logged.items()]
        return [
            '## FNS diagnostics (pretraining logs)', '',
            '`fns_precision`: share of the calibrated pairs whose two images '
            'have the same dominant class, `fns_chance`: that share for '
            'random pairs (last logged values, FNSPrecisionHook); `fnsd_*`: '
            'per-batch diagnostics of the FALSE loss, mean over the logged '
            'iterations.', '', *md_table(['method', *keys], rows), ''
        ]

    def method_stats(self, fraction: str, key: str) -> List[dict]:
        """``stats`` of ``key`` for every method, in order."""
        return [self.summary[name][fraction][key] for name in self.methods]



def gather_report(spec: Config, work_dir: str,
                  seeds: Sequence[int]) -> BenchmarkReport:
    """Every run's test metrics and FNS diagnostics, from the work dir.

    Args:
        spec (Config): The spec (:func:`.spec.load_spec`).
        work_dir (str): The benchmark's output dir.
        seeds (Sequence[int]): The seeds.

    Returns:
        BenchmarkReport: The report of the finished runs.
    """
    metrics, fns, curves = {}, {}, {}
    for method in spec.pretrain:
        name = method['name']
        if method.get('config'):
            runs = [pretrain_dir(work_dir, name, seed) for seed in seeds]
            fns[name] = dict(zip(seeds, map(read_fns, runs)))
            curves[name] = dict(zip(seeds, map(read_fns_curves, runs)))
        metrics[name] = {}
        for fraction in spec.finetune['fractions']:
            metrics[name][fraction] = {}
            for seed in seeds:
                path = test_metrics_file(work_dir, name, fraction, seed)
                with open(path) as f:
                    metrics[name][fraction][seed] = json.load(f)
    return BenchmarkReport(metrics, fns, seeds, spec.finetune['fractions'],
                           spec.pairs, spec.finetune['config'], curves)
