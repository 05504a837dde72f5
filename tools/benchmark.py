"""Baseline vs FALSE, end to end: pretrain -> extract -> fine-tune -> test.

From a spec file::

    python tools/benchmark.py SPEC [--work-dir DIR] [--seeds 0 1 2]
        [--fractions NAME=SPLIT ...] [--dry-run]

or from the command line alone::

    python tools/benchmark.py --pretrain configs/false/simclr_....py \\
        configs/false/false-simclr_....py --random-init \\
        --seg-config configs/seg/deeplabv3plus_....py \\
        --fractions 1pct=splits/train_1pct.txt --seeds 0 1 2 \\
        --work-dir work_dirs/benchmark [--pairs OURS=BASELINE ...]

SPEC is a Python config (``configs/demo/benchmark_raleigh.py`` is one)::

    work_dir = 'work_dirs/my_benchmark'
    seeds = [0, 1, 2]
    pretrain = [  # one entry per method; `name` is the table row
        dict(name='SimCLR', config='configs/false/simclr_....py'),
        dict(name='FALSE-SimCLR', config='configs/false/false-simclr_....py',
             baseline='SimCLR',            # optional, see below
             cfg_options=['model.fncc.confidence_weight=0.5']),  # optional
        dict(name='Random init', config=None),  # no pretraining
    ]
    pretrain_cfg_options = ['train_cfg.max_epochs=10']  # every pretraining
    finetune = dict(
        config='configs/seg/deeplabv3plus_....py',
        fractions={'1pct': 'splits/train_1pct.txt'},  # name -> ann_file
        cfg_options=[],        # fine-tuning and test (data roots...)
        test_cfg_options=[],   # test only
        show_dir=False,        # overlays of the test set, per run
        rgb_bands=None)        # e.g. [3, 2, 1] for the overlays
    pairs = [('FALSE-SimCLR', 'SimCLR')]  # optional

Each FALSE method is compared with its baseline: the entry's ``baseline``,
else ``pairs`` / ``--pairs``, else the naming convention ``FALSE-X`` vs ``X``
(case-insensitive; config file stems ``false-simclr_...`` vs ``simclr_...``
when the methods come from ``--pretrain``).

Every stage runs the tools users run (``tools/train.py``,
``tools/model_converters/extract_backbone.py``, ``tools/test.py``) in a
subprocess, with its output in a log file beside its results. A finished
stage is skipped, an interrupted training resumes from its last checkpoint,
so re-running the same command continues where it stopped. The work dir
gets ``results.md`` (mean ± std over seeds per metric, FALSE - baseline
paired by seed, per-class IoU, the FNS diagnostics of the pretraining logs),
``results.json``, ``miou.png`` (bars with error bars) and
``per_class_iou.png``.
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time
from collections import defaultdict
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SUMMARY_METRICS = ('mIoU', 'OA', 'Kappa', 'mF1')
#: Written in a training work dir when its stage has finished.
DONE_MARKER = 'benchmark_done.json'
EXTRACT = 'tools/model_converters/extract_backbone.py'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='See docs/benchmark.md.')
    parser.add_argument('spec', nargs='?', help='benchmark spec (Python)')
    parser.add_argument('--work-dir', help='output dir (overrides the spec)')
    parser.add_argument('--seeds', type=int, nargs='+', help='seeds')
    parser.add_argument(
        '--pretrain',
        nargs='+',
        metavar='CONFIG',
        help='pretraining configs (named by their file stem)')
    parser.add_argument(
        '--random-init',
        action='store_true',
        help='add a method without pretraining ("random-init")')
    parser.add_argument('--seg-config', help='segmentation config')
    parser.add_argument(
        '--fractions',
        nargs='+',
        metavar='NAME=SPLIT',
        help='label fractions: name=ann_file of the training split')
    parser.add_argument(
        '--pairs',
        nargs='+',
        metavar='OURS=BASELINE',
        help='method pairs to compare (default: the naming convention)')
    parser.add_argument(
        '--pretrain-cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='overrides of every pretraining config')
    parser.add_argument(
        '--finetune-cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='overrides of the segmentation config (fine-tuning and test)')
    parser.add_argument(
        '--test-cfg-options',
        nargs='+',
        default=[],
        metavar='KEY=VALUE',
        help='overrides of the segmentation config for the test only')
    parser.add_argument(
        '--show-dir',
        action='store_true',
        help='write test overlays (image / ground truth / prediction)')
    parser.add_argument(
        '--rgb-bands',
        type=int,
        nargs=3,
        help='1-based bands shown as R G B in the overlays')
    parser.add_argument(
        '--dry-run',
        action='store_true',
        help='print the stages without running them')
    return parser.parse_args(argv)


def slug(name: str) -> str:
    """A file-name-safe form of a method name."""
    return ''.join(c if c.isalnum() or c in '-_' else '-'
                   for c in name).strip('-')


def parse_fractions(items: Sequence[str]) -> Dict[str, str]:
    """``['1pct=splits/train_1pct.txt']`` -> ``{'1pct': 'splits/...'}``."""
    fractions = {}
    for item in items:
        name, sep, ann_file = item.partition('=')
        if not sep or not name:
            raise ValueError(f'--fractions: "{item}" is not NAME=SPLIT_FILE')
        fractions[name] = ann_file
    return fractions


def load_spec(args: argparse.Namespace) -> Config:
    """The benchmark spec: the spec file, overridden by the CLI arguments.

    Raises:
        ValueError: If the spec is incomplete or inconsistent; the message
            names the spec and what is wrong.
    """
    spec = Config.fromfile(args.spec) if args.spec else Config()
    where = args.spec or 'command line'
    if args.pretrain or args.random_init:
        spec.pretrain = [
            dict(name=osp.splitext(osp.basename(c))[0], config=c)
            for c in args.pretrain or []
        ] + ([dict(name='random-init', config=None)]
             if args.random_init else [])
    finetune = dict(spec.get('finetune', {}))
    if args.seg_config:
        finetune['config'] = args.seg_config
    if args.fractions:
        finetune['fractions'] = parse_fractions(args.fractions)
    finetune['cfg_options'] = (list(finetune.get('cfg_options', [])) +
                               args.finetune_cfg_options)
    finetune['test_cfg_options'] = (
        list(finetune.get('test_cfg_options', [])) + args.test_cfg_options)
    if args.show_dir:
        finetune['show_dir'] = True
    if args.rgb_bands:
        finetune['rgb_bands'] = args.rgb_bands
    spec.finetune = finetune
    spec.pretrain_cfg_options = (
        list(spec.get('pretrain_cfg_options', [])) +
        args.pretrain_cfg_options)
    if args.pairs:
        spec.pairs = [tuple(p.split('=', 1)) for p in args.pairs]
    if args.seeds:
        spec.seeds = args.seeds
    if args.work_dir:
        spec.work_dir = args.work_dir

    for key in ('work_dir', 'seeds', 'pretrain'):
        if not spec.get(key):
            raise ValueError(f'{where}: no {key} given')
    for key in ('config', 'fractions'):
        if not finetune.get(key):
            raise ValueError(f'{where}: no finetune {key} given '
                             '(--seg-config, --fractions)')
    names = [m['name'] for m in spec.pretrain]
    if len(set(map(slug, names))) != len(names):
        raise ValueError(f'{where}: method names {names} are not unique')
    configs = [m['config'] for m in spec.pretrain if m.get('config')]
    for path in configs + [finetune['config']]:
        if repo_path(path) is None:
            raise ValueError(f'{where}: config {path} does not exist')
    spec.work_dir = osp.abspath(spec.work_dir)
    spec.pairs = find_pairs(spec.pretrain, spec.get('pairs'), where)
    return spec


def repo_path(path: str) -> Optional[str]:
    """``path`` made absolute: relative to the current directory, else to
    the repository (the tools run there); None if neither exists."""
    for candidate in (path, osp.join(ROOT, path)):
        if osp.exists(candidate):
            return osp.abspath(candidate)
    return None


def find_pairs(methods: Sequence[dict],
               explicit: Optional[Sequence[Sequence[str]]] = None,
               where: str = 'spec') -> List[Tuple[str, str]]:
    """``(ours, baseline)`` name pairs to compare.

    An entry's ``baseline`` key wins, then ``explicit`` pairs, then the
    naming convention: ``FALSE-X`` (any case) is compared with ``X``.
    """
    names = [m['name'] for m in methods]
    pairs = {m['name']: m['baseline'] for m in methods if m.get('baseline')}
    for ours, base in explicit or []:
        pairs.setdefault(ours, base)
    lower = {n.lower(): n for n in names}
    for name in names:
        if name not in pairs and name.lower().startswith('false-'):
            base = lower.get(name[len('false-'):].lower())
            if base is not None:
                pairs[name] = base
    for ours, base in pairs.items():
        for name in (ours, base):
            if name not in names:
                raise ValueError(f'{where}: pair ({ours}, {base}): "{name}" '
                                 f'is not one of the methods {names}')
    return [(ours, pairs[ours]) for ours in names if ours in pairs]


class Stage:
    """One tool run, skipped when ``is_done()``.

    Args:
        title (str): What it does, for the progress lines.
        kind (str): ``pretrain``, ``extract``, ``fine-tune`` or ``test``
            (stages of a kind take similar times, for the ETA).
        command (list[str]): The script and its arguments; an argument
            ``@last_checkpoint:DIR`` is replaced by that run's last
            checkpoint when the stage starts.
        log_file (str): Where the tool's output goes.
        is_done (callable): Whether the stage's output exists.
        marker (str, optional): A file written when the stage succeeds
            (training stages, whose outputs exist before they are done).
    """

    def __init__(self,
                 title: str,
                 kind: str,
                 command: List[str],
                 log_file: str,
                 is_done: Callable[[], bool],
                 marker: Optional[str] = None) -> None:
        self.title = title
        self.kind = kind
        self.command = command
        self.log_file = log_file
        self.is_done = is_done
        self.marker = marker

    def run(self) -> float:
        """Run the tool; returns its wall time in seconds.

        Raises:
            RuntimeError: If the tool fails or leaves no output; the message
                names the log and ends with its tail.
        """
        os.makedirs(osp.dirname(self.log_file), exist_ok=True)
        env = dict(os.environ)
        env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
        start = time.time()
        command = resolve(self.command)
        with open(self.log_file, 'w') as log:
            log.write('$ python ' + ' '.join(command) + '\n')
            log.flush()
            proc = subprocess.run([sys.executable, *command],
                                  cwd=ROOT,
                                  env=env,
                                  stdout=log,
                                  stderr=subprocess.STDOUT)
        seconds = time.time() - start
        if proc.returncode == 0 and self.marker:
            with open(self.marker, 'w') as f:
                json.dump(dict(stage=self.title, command=command,
                               seconds=seconds), f, indent=1)
        if proc.returncode != 0 or not self.is_done():
            with open(self.log_file) as log:
                tail = log.read()[-3000:]
            raise RuntimeError(f'stage "{self.title}" failed (exit '
                               f'{proc.returncode}); its log is '
                               f'{self.log_file}:\n{tail}')
        return seconds


def last_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint named by ``work_dir/last_checkpoint``, if it exists."""
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.exists(path):
        return None
    with open(path) as f:
        ckpt = f.read().strip()
    return ckpt if osp.exists(ckpt) else None


def resolve(command: List[str]) -> List[str]:
    """Replace ``@last_checkpoint:DIR`` by that run's last checkpoint."""
    out = []
    for arg in command:
        if arg.startswith('@last_checkpoint:'):
            run_dir = arg.split(':', 1)[1]
            arg = last_checkpoint(run_dir)
            if arg is None:
                raise RuntimeError(f'{run_dir}: no checkpoint (last_checkpoint'
                                   ' missing or pointing nowhere)')
        out.append(arg)
    return out


def pretrain_dir(work_dir: str, name: str, seed: int) -> str:
    return osp.join(work_dir, 'pretrain', slug(name), f'seed{seed}')


def finetune_dir(work_dir: str, name: str, fraction: str, seed: int) -> str:
    return osp.join(work_dir, 'finetune', slug(name), fraction, f'seed{seed}')


def training_stage(title: str, kind: str, config: str, run_dir: str,
                   options: List[str]) -> Stage:
    """``tools/train.py`` into ``run_dir``, resuming an interrupted run."""
    marker = osp.join(run_dir, DONE_MARKER)
    return Stage(
        title, kind, [
            'tools/train.py', config, '--work-dir', run_dir, '--resume',
            '--cfg-options', *options
        ], osp.join(run_dir, 'stage.log'), lambda: osp.exists(marker),
        marker)


def plan(spec: Config, work_dir: str, seeds: List[int]) -> List[Stage]:
    """Every stage of the benchmark, in order."""
    stages = []
    ft = spec.finetune
    ft_config = repo_path(ft['config'])
    ft_options = list(ft.get('cfg_options', []))
    for seed in seeds:
        for method in spec.pretrain:
            name, backbone = method['name'], None
            if method.get('config'):
                pre_dir = pretrain_dir(work_dir, name, seed)
                stages.append(
                    training_stage(
                        f'pretrain {name} seed {seed}', 'pretrain',
                        repo_path(method['config']), pre_dir, [
                            f'randomness.seed={seed}',
                            *spec.get('pretrain_cfg_options', []),
                            *method.get('cfg_options', [])
                        ]))
                backbone = osp.join(pre_dir, 'backbone.pth')
                stages.append(
                    Stage(
                        f'extract {name} seed {seed}', 'extract', [
                            EXTRACT, pre_dir, backbone, '--seg-config',
                            ft_config, '--strict',
                            *(['--cfg-options', *ft_options]
                              if ft_options else [])
                        ], osp.join(pre_dir, 'extract.log'),
                        lambda path=backbone: osp.exists(path)))
            for fraction, ann_file in ft['fractions'].items():
                ft_dir = finetune_dir(work_dir, name, fraction, seed)
                init = ([f'model.backbone.init_cfg.checkpoint={backbone}']
                        if backbone else ['model.backbone.init_cfg=None'])
                stages.append(
                    training_stage(
                        f'fine-tune {name} {fraction} seed {seed}',
                        'fine-tune', ft_config, ft_dir, [
                            f'randomness.seed={seed}',
                            f'train_dataloader.dataset.ann_file={ann_file}',
                            *init, *ft_options
                        ]))
                test_dir = osp.join(ft_dir, 'test')
                show = ([
                    '--show-dir', osp.join(test_dir, 'vis'),
                    *(['--rgb-bands', *map(str, ft['rgb_bands'])]
                      if ft.get('rgb_bands') else [])
                ] if ft.get('show_dir') else [])
                options = ft_options + list(ft.get('test_cfg_options', []))
                metrics = osp.join(test_dir, 'metrics.json')
                stages.append(
                    Stage(
                        f'test {name} {fraction} seed {seed}', 'test', [
                            'tools/test.py', ft_config,
                            f'@last_checkpoint:{ft_dir}', '--work-dir',
                            test_dir, *show,
                            *(['--cfg-options', *options] if options else [])
                        ], osp.join(ft_dir, 'test.log'),
                        lambda path=metrics: osp.exists(path)))
    return stages


def fmt_time(seconds: float) -> str:
    """``h:mm:ss`` or ``m:ss``."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return (f'{hours}:{rest // 60:02d}:{rest % 60:02d}'
            if hours else f'{rest // 60}:{rest % 60:02d}')


def eta(todo: List[Stage], durations: Dict[str, List[float]]) -> str:
    """Remaining time: each stage at the mean time of its kind so far."""
    if not any(durations.values()):
        return '?'
    overall = float(np.mean([t for ts in durations.values() for t in ts]))
    total = sum(
        np.mean(durations[s.kind]) if durations[s.kind] else overall
        for s in todo)
    return fmt_time(total)


def run_stages(stages: List[Stage], dry_run: bool = False) -> None:
    """Run the stages not done yet, printing progress and an ETA."""
    todo = [s for s in stages if not s.is_done()]
    print(f'[benchmark] {len(stages)} stages, {len(stages) - len(todo)} '
          'already done', flush=True)
    start = time.time()
    durations = defaultdict(list)
    for i, stage in enumerate(todo, 1):
        print(f'[benchmark] ({i}/{len(todo)}) {stage.title} '
              f'[{fmt_time(time.time() - start)} elapsed, ETA '
              f'{eta(todo[i - 1:], durations)}] log: {stage.log_file}',
              flush=True)
        if dry_run:
            print('    python ' + ' '.join(stage.command), flush=True)
            continue
        durations[stage.kind].append(stage.run())
    if todo and not dry_run:
        print(f'[benchmark] all stages done in '
              f'{fmt_time(time.time() - start)}', flush=True)


def read_fns(pre_dir: str) -> Dict[str, float]:
    """FNS diagnostics logged by a pretraining run.

    mmengine writes the training scalars, one JSON line per logging step,
    to ``<work_dir>/<timestamp>/vis_data/scalars.json``. Returns the last
    value of each ``fns_*`` scalar (running totals of
    ``FNSPrecisionHook``) and the mean of each ``fnsd_*`` scalar (per-batch
    diagnostics of the FALSE algorithms) over every logged step of every
    (resumed) run.
    """
    last, series = {}, defaultdict(list)
    for path in sorted(
            glob.glob(osp.join(pre_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                for key, value in record.items():
                    if key.startswith('fns_'):
                        last[key] = float(value)
                    elif key.startswith('fnsd_'):
                        series[key].append(float(value))
    return dict(last, **{k: float(np.mean(v)) for k, v in series.items()})


def stats(values: Sequence[float]) -> dict:
    """Mean, sample std (0 for one value) and count."""
    values = np.asarray(values, dtype=float)
    return dict(
        mean=float(np.mean(values)),
        std=float(np.std(values, ddof=1)) if values.size > 1 else 0.0,
        n=int(values.size))


def collect(spec: Config, work_dir: str, seeds: List[int]) -> dict:
    """Every run's test metrics and FNS diagnostics, and their summaries.

    Returns:
        dict: ``metrics[method][fraction][seed]`` (the test metrics),
        ``fns[method][seed]``, ``summary[method][fraction][metric]`` and
        ``differences[ours - baseline][fraction][metric]`` (``mean``,
        ``std``, ``n``; differences paired by seed, with their ``values``).
    """
    metrics = defaultdict(lambda: defaultdict(dict))
    fns = defaultdict(dict)
    for method in spec.pretrain:
        name = method['name']
        for seed in seeds:
            if method.get('config'):
                fns[name][seed] = read_fns(pretrain_dir(work_dir, name, seed))
            for fraction in spec.finetune['fractions']:
                path = osp.join(
                    finetune_dir(work_dir, name, fraction, seed), 'test',
                    'metrics.json')
                with open(path) as f:
                    metrics[name][fraction][seed] = json.load(f)
    keys = metric_keys(metrics)
    summary = {
        name: {
            fraction: {
                k: stats([runs[s][k] for s in seeds])
                for k in keys
            }
            for fraction, runs in by_fraction.items()
        }
        for name, by_fraction in metrics.items()
    }
    differences = {}
    for ours, base in spec.pairs:
        differences[f'{ours} - {base}'] = {
            fraction: {
                k: dict(
                    stats(values := [
                        metrics[ours][fraction][s][k] -
                        metrics[base][fraction][s][k] for s in seeds
                    ]),
                    values=values)
                for k in keys
            }
            for fraction in spec.finetune['fractions']
        }
    return dict(
        metrics=metrics, fns=fns, summary=summary, differences=differences)


def metric_keys(metrics: dict) -> List[str]:
    """Summary metrics first, then per-class IoU and F1, as the runs have."""
    first = next(iter(next(iter(metrics.values())).values()))
    keys = list(next(iter(first.values())))
    return [k for k in SUMMARY_METRICS if k in keys] + [
        k for k in keys if k not in SUMMARY_METRICS
    ]


def fmt_stats(s: dict, sign: bool = False) -> str:
    """``61.23 ± 0.45``; one seed has no spread: ``61.23 ± n/a``."""
    mean = f'{s["mean"]:+.2f}' if sign else f'{s["mean"]:.2f}'
    return f'{mean} ± {s["std"]:.2f}' if s['n'] > 1 else f'{mean} ± n/a'


def table(header: List[str], rows: List[List[str]]) -> List[str]:
    return ['| ' + ' | '.join(header) + ' |',
            '|' + '---|' * len(header)] + [
                '| ' + ' | '.join(row) + ' |' for row in rows
            ]


def summarize(spec: Config, collected: dict, seeds: List[int]) -> str:
    """The results.md text."""
    summary, diffs = collected['summary'], collected['differences']
    names = [m['name'] for m in spec.pretrain]
    keys = metric_keys(collected['metrics'])
    main = [k for k in SUMMARY_METRICS if k in keys]
    classes = [k[len('IoU.'):] for k in keys if k.startswith('IoU.')]
    lines = [
        '# Benchmark results', '',
        f'Segmentation config: `{spec.finetune["config"]}`; seeds '
        f'{list(seeds)}. Test-set metrics in percent, mean ± sample std '
        'over the seeds (each seed pretrains and fine-tunes anew).', ''
    ]
    for fraction, ann_file in spec.finetune['fractions'].items():
        lines += [f'## Labelled fraction `{fraction}` (`{ann_file}`)', '']
        lines += table(['method', *main], [[
            name, *(fmt_stats(summary[name][fraction][k]) for k in main)
        ] for name in names])
        if diffs:
            lines += [
                '', 'FALSE − baseline, paired by seed (mean ± std of the '
                'per-seed differences; seeds where FALSE is better):', ''
            ]
            rows = []
            for pair, by_fraction in diffs.items():
                d = by_fraction[fraction]
                better = sum(v > 0 for v in d['mIoU']['values'])
                rows.append([
                    pair.replace(' - ', ' − '),
                    *(fmt_stats(d[k], sign=True) for k in main),
                    f'{better}/{d["mIoU"]["n"]}'
                ])
            lines += table(['comparison', *(f'Δ {k}' for k in main),
                            'mIoU better'], rows)
        lines += ['', 'Per-class IoU:', '']
        lines += table(['method', *classes], [[
            name,
            *(fmt_stats(summary[name][fraction][f'IoU.{c}']) for c in classes)
        ] for name in names])
        lines.append('')
    lines += fns_section(collected['fns'], seeds)
    lines += [
        'Plots: `miou.png` (mIoU, error bars = std over seeds), '
        '`per_class_iou.png`. Per-run metrics: `results.json`.', ''
    ]
    return '\n'.join(lines)


def fns_section(fns: dict, seeds: List[int]) -> List[str]:
    """The FNS diagnostics table (methods that logged any)."""
    logged = {name: runs for name, runs in fns.items()
              if any(runs[s] for s in seeds)}
    if not logged:
        return []
    keys = sorted({k for runs in logged.values() for r in runs.values()
                   for k in r},
                  key=lambda k: (not k.startswith('fns_'), k))
    rows = []
    for name, runs in logged.items():
        rows.append([name] + [
            fmt_stats(stats([runs[s].get(k, np.nan) for s in seeds]))
            for k in keys
        ])
    return [
        '## FNS diagnostics (pretraining logs)', '',
        '`fns_precision`: share of the calibrated pairs whose two images '
        'have the same dominant class, `fns_chance`: that share for random '
        'pairs (last logged values, FNSPrecisionHook); `fnsd_*`: per-batch '
        'diagnostics of the FALSE loss, mean over the logged iterations.',
        '', *table(['method', *keys], rows), ''
    ]


def plot(spec: Config, collected: dict, seeds: List[int],
         work_dir: str) -> List[str]:
    """``miou.png`` (bars with error bars) and ``per_class_iou.png``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    summary = collected['summary']
    names = [m['name'] for m in spec.pretrain]
    fractions = list(spec.finetune['fractions'])
    paths = [osp.join(work_dir, 'miou.png'),
             osp.join(work_dir, 'per_class_iou.png')]

    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(names), 3.6))
    width = 0.8 / len(fractions)
    for j, fraction in enumerate(fractions):
        s = [summary[n][fraction]['mIoU'] for n in names]
        ax.bar(np.arange(len(names)) + j * width, [x['mean'] for x in s],
               width, yerr=[x['std'] for x in s], capsize=4, label=fraction)
    ax.set_xticks(np.arange(len(names)) + width * (len(fractions) - 1) / 2)
    ax.set_xticklabels(names, fontsize=8)
    ax.set_ylabel('test mIoU (%)')
    ax.set_title(f'mIoU, mean ± std over {len(seeds)} seed(s)')
    ax.legend(title='labels', fontsize=8)
    fig.tight_layout()
    fig.savefig(paths[0], dpi=120)
    plt.close(fig)

    classes = [
        k[len('IoU.'):] for k in metric_keys(collected['metrics'])
        if k.startswith('IoU.')
    ]
    fig, axes = plt.subplots(
        len(fractions), 1, squeeze=False,
        figsize=(2 + 0.9 * len(classes) + 0.3 * len(names),
                 3.6 * len(fractions)))
    width = 0.8 / len(names)
    for ax, fraction in zip(axes[:, 0], fractions):
        for j, name in enumerate(names):
            s = [summary[name][fraction][f'IoU.{c}'] for c in classes]
            ax.bar(np.arange(len(classes)) + j * width,
                   [x['mean'] for x in s], width,
                   yerr=[x['std'] for x in s], capsize=2, label=name)
        ax.set_xticks(np.arange(len(classes)) + width * (len(names) - 1) / 2)
        ax.set_xticklabels(classes, rotation=30, ha='right', fontsize=8)
        ax.set_ylabel('IoU (%)')
        ax.set_title(f'Per-class IoU, labels {fraction}', fontsize=9)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(paths[1], dpi=120)
    plt.close(fig)
    return paths


def write_json(path: str, data: dict) -> None:
    with open(path, 'w') as f:
        json.dump(data, f, indent=1)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    try:
        spec = load_spec(args)
    except ValueError as err:
        raise SystemExit(f'benchmark: {err}')
    work_dir, seeds = spec.work_dir, list(spec.seeds)
    os.makedirs(work_dir, exist_ok=True)
    try:
        run_stages(plan(spec, work_dir, seeds), args.dry_run)
    except RuntimeError as err:
        raise SystemExit(f'[benchmark] {err}\n[benchmark] fix it and run the '
                         'same command again: finished stages are skipped.')
    if args.dry_run:
        return
    collected = collect(spec, work_dir, seeds)
    write_json(
        osp.join(work_dir, 'results.json'),
        dict(seeds=seeds,
             seg_config=spec.finetune['config'],
             fractions=spec.finetune['fractions'],
             methods={m['name']: m.get('config')
                      for m in spec.pretrain},
             pairs=spec.pairs,
             **collected))
    text = summarize(spec, collected, seeds)
    with open(osp.join(work_dir, 'results.md'), 'w') as f:
        f.write(text)
    plots = plot(spec, collected, seeds, work_dir)
    print(text)
    print(f'[benchmark] written: {osp.join(work_dir, "results.md")}, '
          f'results.json, {", ".join(osp.basename(p) for p in plots)}')


if __name__ == '__main__':
    main()
