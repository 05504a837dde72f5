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

SPEC is a Python config (``configs/demo/benchmark_raleigh.py`` is one; YAML
or JSON with the same keys works too)::

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

from false_plugin.evaluation.benchmark_plots import plot_report
from false_plugin.evaluation.benchmark_report import BenchmarkReport, read_fns

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: Written in a training work dir when its stage has finished.
DONE_MARKER = 'benchmark_done.json'
EXTRACT = 'tools/model_converters/extract_backbone.py'
#: Seconds between progress lines of a running stage (from its log).
REPORT_EVERY = float(os.environ.get('BENCHMARK_REPORT_EVERY', 60))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='See docs/benchmark.md.')
    parser.add_argument(
        'spec', nargs='?', help='benchmark spec (Python, YAML or JSON)')
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
        metavar=('R', 'G', 'B'),
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
        with open(self.log_file, 'a') as log:  # keeps interrupted attempts
            log.write('$ python ' + ' '.join(command) + '\n')
            log.flush()
            proc = subprocess.Popen([sys.executable, *command],
                                    cwd=ROOT,
                                    env=env,
                                    stdout=log,
                                    stderr=subprocess.STDOUT)
            reported, shown = time.time(), None
            while True:
                try:
                    proc.wait(timeout=1)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if time.time() - reported >= REPORT_EVERY:
                    line = last_progress_line(self.log_file)
                    if line and line != shown:
                        print(f'[benchmark]     {line}', flush=True)
                    reported, shown = time.time(), line
        seconds = time.time() - start
        if proc.returncode == 0 and self.marker:
            with open(self.marker, 'w') as f:
                json.dump(dict(stage=self.title, command=command,
                               seconds=seconds), f, indent=1)
        if proc.returncode != 0 or not self.is_done():
            with open(self.log_file, 'rb') as log:
                log.seek(max(0, osp.getsize(self.log_file) - 3000))
                tail = log.read().decode('utf-8', 'replace')
            raise RuntimeError(f'stage "{self.title}" failed (exit '
                               f'{proc.returncode}); its log is '
                               f'{self.log_file}:\n{tail}')
        return seconds


def last_progress_line(log_file: str) -> Optional[str]:
    """The last training/test progress line of an mmengine log (it has the
    run's own ETA), without its timestamp."""
    with open(log_file, 'rb') as f:
        f.seek(max(0, os.path.getsize(log_file) - 8192))
        lines = f.read().decode('utf-8', 'replace').splitlines()
    for line in reversed(lines):
        for tag in ('(train)', '(val)', '(test)'):
            if tag in line and ' - mmengine - INFO - ' in line:
                text = line.split(' - mmengine - INFO - ', 1)[1]
                return text[:160]
    return None


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


def gather(spec: Config, work_dir: str,
           seeds: List[int]) -> BenchmarkReport:
    """Every run's test metrics and FNS diagnostics, from the work dir."""
    metrics, fns = {}, {}
    for method in spec.pretrain:
        name = method['name']
        if method.get('config'):
            fns[name] = {
                seed: read_fns(pretrain_dir(work_dir, name, seed))
                for seed in seeds
            }
        metrics[name] = {}
        for fraction in spec.finetune['fractions']:
            metrics[name][fraction] = {}
            for seed in seeds:
                path = osp.join(
                    finetune_dir(work_dir, name, fraction, seed), 'test',
                    'metrics.json')
                with open(path) as f:
                    metrics[name][fraction][seed] = json.load(f)
    return BenchmarkReport(metrics, fns, seeds, spec.finetune['fractions'],
                           spec.pairs, spec.finetune['config'])


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
    report = gather(spec, work_dir, seeds)
    with open(osp.join(work_dir, 'results.json'), 'w') as f:
        json.dump(
            dict(methods={m['name']: m.get('config') for m in spec.pretrain},
                 **report.to_dict()), f, indent=1)
    text = report.markdown()
    with open(osp.join(work_dir, 'results.md'), 'w') as f:
        f.write(text)
    plots = plot_report(report, work_dir)
    print(text)
    print(f'[benchmark] written: {osp.join(work_dir, "results.md")}, '
          f'results.json, {", ".join(osp.basename(p) for p in plots)}')


if __name__ == '__main__':
    main()
