"""The results of a baseline-vs-FALSE benchmark, summarised over seeds.

:func:`gather_report` reads every run's test metrics and pretraining
diagnostics from the benchmark's work dir, :class:`BenchmarkReport` turns
them into tables, and :func:`write_report` writes ``results.md``,
``results.json`` and the plots (:mod:`.plots`): mean ± std over seeds,
comparisons paired by seed (:mod:`.statistics`), and mIoU / mF1 over a
fixed class set, the classes of the test ground truth, rather than the
metric's own (classes in the ground truth or the prediction: one stray
prediction of an absent class adds a 0 to one run's mean only).
"""
import glob
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config

from .statistics import not_distinguishable, paired_comparison, stats

#: The headline metrics of RSSegMetric, in table order.
SUMMARY_METRICS = ('mIoU', 'OA', 'Kappa', 'mF1')
#: Means over the classes -> the prefix of their per-class scores.
CLASS_MEANS = {'mIoU': 'IoU.', 'mF1': 'F1.'}
#: The name the metric's own mean keeps (over the classes in the ground
#: truth or the prediction) when the report's is over the fixed class set.
OWN_MEAN = {'mIoU': 'mIoU_any', 'mF1': 'mF1_any'}
#: Prefix of RSSegMetric's per-class ground-truth pixel counts.
SUPPORT = 'support.'
#: The comparisons: level of the intervals, the true difference (in points
#: of mIoU) and the power the seeds needed are for.
ALPHA, DETECT, POWER = 0.05, 1.0, 0.8
#: FNS diagnostics shown first.
FNS_FIRST = ('fns_precision', 'fns_chance')
#: Prefix of the per-batch loss diagnostics in the log (``fn_num_picked``...;
#: ``fn_single_*``, ``fn_dense_*`` for DenseCL).
LOSS_DIAGNOSTICS = 'fn_'
#: Their names in logs written before the rename, and the current names.
OLD_DIAGNOSTICS = (('fnsd_num_calibrated', 'fn_num_picked'),
                   ('fnsd_single_num_calibrated', 'fn_single_num_picked'),
                   ('fnsd_dense_num_calibrated', 'fn_dense_num_picked'),
                   ('fnsd_', 'fn_'))


def current_name(key: str) -> str:
    """The current name of a logged key (``fnsd_num_calibrated`` of an old
    log is ``fn_num_picked``); other keys unchanged."""
    for old, new in OLD_DIAGNOSTICS:
        if key == old or (old.endswith('_') and key.startswith(old)):
            return new + key[len(old):]
    return key


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
        ``FNSPrecisionHook``) and the mean of each ``fn_*`` scalar
        (per-batch diagnostics of the loss of a FALSE algorithm) over every
        logged step of every (resumed) run; empty for a baseline. Logs
        written before the rename (``fnsd_*``, ``num_calibrated``) are read
        under the current names (:func:`current_name`).
    """
    last, series = {}, defaultdict(list)
    for line in read_scalars(run_dir):
        for key, value in line.items():
            key = current_name(key)
            if key.startswith('fns_'):
                last[key] = float(value)
            elif key.startswith(LOSS_DIAGNOSTICS):
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


def fmt_stats(s: dict, sign: bool = False,
              seeds: Optional[int] = None) -> str:
    """``61.23 ± 0.45``; a single value has no spread: ``61.23 ± n/a``; no
    value (NaN, never logged): ``n/a``.

    Args:
        s (dict): :func:`.statistics.stats` of the values.
        sign (bool): Show the sign (a difference).
        seeds (int, optional): The number of seeds: a mean over fewer
            (NaN in the others) says over how many, ``61.23 ± 0.45 (2
            seeds)``.
    """
    if not s['n'] or np.isnan(s['mean']):
        return 'n/a'
    mean = f'{s["mean"]:+.2f}' if sign else f'{s["mean"]:.2f}'
    text = f'{mean} ± {s["std"]:.2f}' if s['n'] > 1 else f'{mean} ± n/a'
    if seeds is not None and s['n'] < seeds:
        text += f' ({s["n"]} seed{"s" if s["n"] > 1 else ""})'
    return text


def fmt_interval(c: dict) -> str:
    """The confidence interval of a :func:`.statistics.paired_comparison`,
    ``[+0.12, +3.45]``; ``n/a (1 seed)`` for a single seed."""
    if c['n'] < 2:
        return 'n/a (1 seed)' if c['n'] == 1 else 'n/a'
    return f'[{c["ci_low"]:+.2f}, {c["ci_high"]:+.2f}]'


def fmt_needed(c: dict) -> str:
    """The seeds needed of a :func:`.statistics.paired_comparison`: ``12``,
    ``>1000``, ``n/a (1 seed)``."""
    if c['seeds_needed'] is None:
        return 'n/a (1 seed)' if c['n'] == 1 else 'n/a'
    return str(c['seeds_needed'])


def run_name(method: str, fraction: str, seed: int) -> str:
    """A run, for messages: ``SimCLR 1pct seed 0``."""
    return f'{method} {fraction} seed {seed}'


def supports(run: dict) -> Optional[Dict[str, float]]:
    """A run's ``support.<class>`` counts (ground-truth pixels per class);
    None for a run tested before RSSegMetric reported them."""
    counts = {
        k[len(SUPPORT):]: float(v)
        for k, v in run.items() if k.startswith(SUPPORT)
    }
    return counts or None


def find_class_set(
        metrics: Dict[str, Dict[str, Dict[int, dict]]]) -> dict:
    """The classes present in the test ground truth, shared by every run.

    Args:
        metrics (dict): ``metrics[method][fraction][seed]``: the test metrics
            of a run.

    Returns:
        dict: ``classes``: the classes with support > 0, in the metric's
        order, or None if a run has no support (``metrics.json`` from before
        RSSegMetric reported it: the report falls back to the metric's own
        means); ``runs``: the number of runs; ``runs_without_support``.

    Raises:
        ValueError: If two runs' supports differ (they were not tested on
            the same test set); the message names the runs.
    """
    runs = [(run_name(name, fraction, seed), run)
            for name, by_fraction in metrics.items()
            for fraction, by_seed in by_fraction.items()
            for seed, run in by_seed.items()]
    counted = [(where, supports(run)) for where, run in runs]
    counted = [(where, counts) for where, counts in counted if counts]
    if counted:
        first, reference = counted[0]
        differ = [(where, counts) for where, counts in counted
                  if counts != reference]
        if differ:
            raise ValueError(
                'the runs were not tested on the same ground truth: the '
                'support.* counts (ground-truth pixels per class) of '
                f'{", ".join(where for where, _ in differ)} differ from '
                f'those of {first} ({differ[0][0]}: {differ[0][1]}, '
                f'{first}: {reference}); every run of a benchmark must be '
                'tested on the same test set')
    missing = len(runs) - len(counted)
    classes = None
    if counted and not missing:
        classes = [c for c, count in reference.items() if count > 0]
    return dict(classes=classes, runs=len(runs),
                runs_without_support=missing)


def over_classes(run: dict, classes: Optional[List[str]]) -> dict:
    """A run's metrics with mIoU and mF1 over ``classes``.

    Args:
        run (dict): The run's test metrics.
        classes (list[str], optional): The fixed class set; None: keep the
            metric's own means (they are also kept under :data:`OWN_MEAN`).

    Returns:
        dict: The metrics, the metric's own means also under
        ``mIoU_any`` and ``mF1_any``.

    Raises:
        KeyError: If the run lacks the score of a class of the set (RSSegMetric
            reports every class; a run that does not was not tested on the
            same classes).
    """
    out = dict(run)
    for key, prefix in CLASS_MEANS.items():
        if key not in run:
            continue
        out[OWN_MEAN[key]] = run[key]
        if classes:
            out[key] = float(np.mean([run[prefix + c] for c in classes]))
    return out


def md_table(header: List[str], rows: List[List[str]]) -> List[str]:
    """A Markdown table, one line per element."""
    return ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)
            ] + ['| ' + ' | '.join(row) + ' |' for row in rows]


def shown_path(path: str) -> str:
    """``path`` relative to the current directory where it lies below it
    (a results file does not name the machine's folders), else as is."""
    if not path or not osp.isabs(path):
        return path
    relative = osp.relpath(path)
    return path if relative.startswith('..') else relative

class BenchmarkReport:
    """Test metrics of every (method, labelled fraction, seed), summarised.

    The report's mIoU and mF1 are means over a fixed class set, the classes
    present in the test ground truth (RSSegMetric's ``support.*`` > 0; all
    runs share the test set), so that a stray prediction of an absent class
    does not lower one run's mean only; the metric's own means are kept as
    ``mIoU_any`` and ``mF1_any``. Runs without ``support.*`` (tested by an
    older RSSegMetric) keep the metric's own means, and the report says so.

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
            seed by seed; a method may have several baselines.
        seg_config (str): The segmentation config (for the header).

    Raises:
        ValueError: If the runs' ``support.*`` differ (:func:`find_class_set`).
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
        #: :func:`find_class_set` of the runs.
        self.class_set = find_class_set(metrics)
        #: The runs' metrics, mIoU and mF1 over the fixed class set
        #: (:func:`over_classes`).
        self.metrics = {
            name: {
                fraction: {
                    seed: over_classes(run, self.class_set['classes'])
                    for seed, run in by_seed.items()
                }
                for fraction, by_seed in by_fraction.items()
            }
            for name, by_fraction in metrics.items()
        }
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
        first = self.metrics[self.methods[0]][next(iter(self.fractions))]
        keys = [k for k in first[self.seeds[0]] if not k.startswith(SUPPORT)]
        head = SUMMARY_METRICS + tuple(OWN_MEAN.values())
        #: Every metric of the runs but the supports: summary metrics first.
        self.keys = [k for k in head if k in keys
                     ] + [k for k in keys if k not in head]
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
        return stats([runs[s].get(key, np.nan) for s in self.seeds])

    def _paired(self, ours: str, base: str, fraction: str, key: str) -> dict:
        a, b = self.metrics[ours][fraction], self.metrics[base][fraction]
        return paired_comparison(
            [a[s].get(key, np.nan) - b[s].get(key, np.nan)
             for s in self.seeds],
            alpha=ALPHA, detect=DETECT, power=POWER)

    def _fmt(self, s: dict, sign: bool = False) -> str:
        """:func:`fmt_stats`, saying over how many seeds when fewer than
        all."""
        return fmt_stats(s, sign, seeds=len(self.seeds))

    def to_dict(self) -> dict:
        """Everything, for ``results.json``."""
        return dict(
            seeds=self.seeds,
            seg_config=self.seg_config,
            fractions=self.fractions,
            pairs=self.pairs,
            class_set=self.class_set,
            comparisons=dict(alpha=ALPHA, detect=DETECT, power=POWER,
                             test='paired t, two-sided'),
            metrics=self.metrics,
            fns=self.fns,
            fns_curves=self.fns_curves,
            summary=self.summary,
            differences=self.differences)

    def markdown(self) -> str:
        """The ``results.md`` text."""
        lines = [
            '# Benchmark results', '',
            f'Segmentation config: `{shown_path(self.seg_config)}`; seeds '
            f'{self.seeds}. '
            'Test-set metrics in percent, mean ± sample std over the seeds '
            '(each seed pretrains and fine-tunes anew; `(k seeds)`: only k '
            'seeds have the value).', '', self._class_set_note(), ''
        ]
        for fraction, split in self.fractions.items():
            lines += [f'## Labelled fraction `{fraction}` (`{split}`)', '']
            lines += md_table(['method', *self.main], [[
                name, *(self._fmt(self.summary[name][fraction][k])
                        for k in self.main)
            ] for name in self.methods])
            lines += self._differences_table(fraction)
            lines += self._per_class_table(fraction)
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

    def _class_set_note(self) -> str:
        """Which classes the report's mIoU and mF1 are over."""
        classes = self.class_set['classes']
        if classes is not None:
            return (f'mIoU over the {len(classes)} classes present in the '
                    f'test ground truth: {", ".join(classes)} (mF1 likewise), '
                    'the same set for every run. The metric\'s own means, '
                    'over the classes in the ground truth or the run\'s '
                    'prediction, are `mIoU_any` and `mF1_any` in '
                    '`results.json`.')
        missing, runs = (self.class_set['runs_without_support'],
                         self.class_set['runs'])
        return ('mIoU and mF1 are the metric\'s own means, over the classes '
                'in the ground truth or the run\'s prediction, so runs may '
                f'average different class sets: {missing} of the {runs} runs '
                'have no `support.*` (ground-truth pixels per class) in their '
                '`metrics.json`, tested before RSSegMetric reported it. '
                'Delete their `test/metrics.json` and run the benchmark '
                'again for means over the classes of the test ground truth.')

    def _differences_table(self, fraction: str) -> List[str]:
        if not self.differences:
            return []
        others = [k for k in self.main if k != 'mIoU']
        rows = []
        for pair, by_fraction in self.differences.items():
            diff = by_fraction[fraction]
            miou = diff['mIoU']
            rows.append([
                pair.replace(' - ', ' − '),
                self._fmt(miou, sign=True),
                fmt_interval(miou), miou['verdict'],
                f'{miou["better"]}/{miou["n"]}',
                fmt_needed(miou),
                *(self._fmt(diff[k], sign=True) for k in others)
            ])
        level = f'{100 * (1 - ALPHA):g}%'
        return [
            '', 'Method − baseline, paired by seed:', '',
            *md_table([
                'comparison', 'Δ mIoU', f'{level} CI', 'verdict',
                'seeds better', f'seeds to detect {DETECT:g} mIoU',
                *(f'Δ {k}' for k in others)
            ], rows), '',
            'Δ: mean ± sample std of the per-seed differences. '
            f'{level} CI: mean ± t({1 - ALPHA / 2:g}, n − 1) · std / √n over '
            'the n seeds. Verdict: `better` (`worse`) when the whole '
            'interval is above (below) 0, else '
            f'`{not_distinguishable(ALPHA)}`, as with a single seed (no '
            'interval). Seeds better: seeds where the method has the higher '
            f'mIoU. Seeds to detect {DETECT:g} mIoU: the fewest seeds with '
            f'which a two-sided paired t-test at α = {ALPHA:g} finds a true '
            f'difference of {DETECT:g} mIoU with {100 * POWER:g}% power, at '
            'the observed std of the differences. With no true difference, '
            f'{100 * ALPHA:g}% of the intervals still exclude 0, and three '
            'seeds estimate the std from three values (a narrow interval '
            'can be luck): check a verdict on a second run at another '
            'thread count before relying on it.'
        ]

    def _per_class_table(self, fraction: str) -> List[str]:
        if not self.classes:
            return []
        present = self.class_set['classes']
        absent = [c for c in self.classes
                  if present is not None and c not in present]
        return [
            '', 'Per-class IoU' + (
                f' ({", ".join(absent)}: not in the test ground truth)'
                if absent else '') + ':', '',
            *md_table(['method', *self.classes], [[
                name, *(self._fmt(self.summary[name][fraction][f'IoU.{c}'])
                        for c in self.classes)
            ] for name in self.methods])
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
            self._fmt(stats([runs[s].get(k, np.nan) for s in self.seeds]))
            for k in keys
        ] for name, runs in logged.items()]
        return [
            '## FNS diagnostics (pretraining logs)', '',
            '`fns_precision`: share of the picked pairs whose two images '
            'have the same dominant class, `fns_chance`: that share for '
            'random pairs (last logged values, FNSPrecisionHook); `fn_*`: '
            'per-batch diagnostics of the loss (FNCC, FNC or DCL), mean over '
            'the logged iterations.', '', *md_table(['method', *keys], rows),
            ''
        ]

    def method_stats(self, fraction: str, key: str) -> List[dict]:
        """``stats`` of ``key`` for every method, in order."""
        return [self.summary[name][fraction][key] for name in self.methods]



def gather_report(spec: Config) -> BenchmarkReport:
    """Every run's test metrics and FNS diagnostics, from the spec's work
    dir (``spec.paths``).

    Args:
        spec (Config): The spec (:func:`.spec.load_spec`).

    Returns:
        BenchmarkReport: The report of the finished runs.
    """
    paths, seeds = spec.paths, list(spec.seeds)
    metrics, fns, curves = {}, {}, {}
    for method in spec.pretrain:
        name = method['name']
        if method.get('config'):
            runs = [paths.pretrain_dir(name, seed) for seed in seeds]
            fns[name] = dict(zip(seeds, map(read_fns, runs)))
            curves[name] = dict(zip(seeds, map(read_fns_curves, runs)))
        metrics[name] = {}
        for fraction in spec.finetune['fractions']:
            metrics[name][fraction] = {}
            for seed in seeds:
                path = paths.metrics_file(name, fraction, seed)
                with open(path) as f:
                    metrics[name][fraction][seed] = json.load(f)
    return BenchmarkReport(metrics, fns, seeds, spec.finetune['fractions'],
                           spec.pairs, spec.finetune['config'], curves)


def write_report(spec: Config, report: BenchmarkReport) -> List[str]:
    """``results.json``, ``results.md`` and the plots in the spec's work
    dir (``spec.paths``).

    Returns:
        list[str]: The files written.
    """
    from .plots import plot_report  # matplotlib only when needed
    paths = spec.paths
    with open(paths.results_json, 'w') as f:
        json.dump(
            dict(methods={m['name']: m.get('config') for m in spec.pretrain},
                 **report.to_dict()),
            f,
            indent=1)
    with open(paths.results_md, 'w') as f:
        f.write(report.markdown())
    return [paths.results_json, paths.results_md
            ] + plot_report(report, paths.work_dir)
