"""Baseline vs FALSE, end to end: pretrain -> extract -> fine-tune -> test.

    python tools/benchmark.py SPEC [--work-dir DIR] [--seeds 0 1 2]
        [--dry-run]

SPEC is a Python config (see ``configs/demo/benchmark_raleigh.py``)::

    work_dir = 'work_dirs/my_benchmark'
    seeds = [0, 1, 2]
    pretrain = [  # one entry per method; `baseline` names the row to beat
        dict(name='SimCLR', config='configs/false/simclr_....py'),
        dict(name='FALSE-SimCLR', config='configs/false/false-simclr_....py',
             baseline='SimCLR'),
        dict(name='Random init', config=None),  # no pretraining
    ]
    pretrain_cfg_options = ['train_cfg.max_epochs=10']  # all pretrain runs
    finetune = dict(
        config='configs/seg/deeplabv3plus_....py',
        fractions={'1pct': 'splits/train_1pct.txt'},  # name -> ann_file
        cfg_options=[],
        show_dir=False)  # overlays of the test set, per run

Every stage runs the tools users run (``tools/train.py``,
``tools/model_converters/extract_backbone.py``, ``tools/test.py``) in a
subprocess, and is skipped when its output exists, so an interrupted
benchmark resumes where it stopped. The work dir gets ``results.md``
(mean ± std over seeds per metric, FALSE - baseline paired by seed),
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
from typing import Dict, List, Optional

import numpy as np
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SUMMARY_METRICS = ('mIoU', 'OA', 'Kappa', 'mF1')
FNS_KEYS = ('fns_precision', 'fns_chance', 'fnsd_num_calibrated')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('spec', help='benchmark spec (Python config)')
    parser.add_argument('--work-dir', help='overrides the spec work_dir')
    parser.add_argument('--seeds', type=int, nargs='+', help='overrides')
    parser.add_argument('--dry-run', action='store_true',
                        help='print the stages without running them')
    return parser.parse_args()


class Stage:
    """One command whose success is marked by an output file."""

    def __init__(self, title: str, command: List[str], done_file: str,
                 log_file: str) -> None:
        self.title = title
        self.command = command
        self.done_file = done_file
        self.log_file = log_file

    @property
    def done(self) -> bool:
        return osp.exists(self.done_file)

    def run(self) -> None:
        os.makedirs(osp.dirname(self.log_file), exist_ok=True)
        env = dict(os.environ)
        env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
        with open(self.log_file, 'w') as log:
            proc = subprocess.run([sys.executable, *self.command], cwd=ROOT,
                                  env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
        if proc.returncode != 0 or not self.done:
            with open(self.log_file) as log:
                tail = log.read()[-3000:]
            raise RuntimeError(f'stage "{self.title}" failed '
                               f'(exit {proc.returncode}); log: '
                               f'{self.log_file}\n{tail}')


def last_checkpoint(work_dir: str) -> Optional[str]:
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.exists(path):
        return None
    with open(path) as f:
        ckpt = f.read().strip()
    return ckpt if osp.exists(ckpt) else None


def plan(spec: Config, work_dir: str, seeds: List[int]) -> List[Stage]:
    """Every stage of the benchmark, in order."""
    stages = []
    ft = spec.finetune
    for seed in seeds:
        for method in spec.pretrain:
            name, backbone = method['name'], None
            pre_dir = osp.join(work_dir, 'pretrain', slug(name), f'seed{seed}')
            if method.get('config'):
                stages.append(
                    Stage(
                        f'pretrain {name} seed {seed}', [
                            'tools/train.py', method['config'], '--work-dir',
                            pre_dir, '--cfg-options', f'randomness.seed={seed}',
                            *spec.get('pretrain_cfg_options', []),
                            *method.get('cfg_options', [])
                        ], osp.join(pre_dir, 'last_checkpoint'),
                        osp.join(pre_dir, 'stage.log')))
                backbone = osp.join(pre_dir, 'backbone.pth')
                stages.append(
                    Stage(f'extract {name} seed {seed}', [
                        'tools/model_converters/extract_backbone.py',
                        f'@last_checkpoint:{pre_dir}', backbone
                    ], backbone, osp.join(pre_dir, 'extract.log')))
            for fraction, ann_file in ft['fractions'].items():
                ft_dir = osp.join(work_dir, 'finetune', slug(name), fraction,
                                  f'seed{seed}')
                init = ([f'model.backbone.init_cfg.checkpoint={backbone}']
                        if backbone else ['model.backbone.init_cfg=None'])
                stages.append(
                    Stage(f'fine-tune {name} {fraction} seed {seed}', [
                        'tools/train.py', ft['config'], '--work-dir', ft_dir,
                        '--cfg-options', f'randomness.seed={seed}',
                        f'train_dataloader.dataset.ann_file={ann_file}',
                        *init, *ft.get('cfg_options', [])
                    ], osp.join(ft_dir, 'last_checkpoint'),
                          osp.join(ft_dir, 'stage.log')))
                test_dir = osp.join(ft_dir, 'test')
                show = (['--show-dir', osp.join(test_dir, 'vis')]
                        if ft.get('show_dir') else [])
                options = ft.get('cfg_options', [])
                stages.append(
                    Stage(f'test {name} {fraction} seed {seed}', [
                        'tools/test.py', ft['config'],
                        f'@last_checkpoint:{ft_dir}', '--work-dir', test_dir,
                        *show, *(['--cfg-options', *options] if options else [])
                    ], osp.join(test_dir, 'metrics.json'),
                          osp.join(ft_dir, 'test.log')))
    return stages


def slug(name: str) -> str:
    return ''.join(c if c.isalnum() or c in '-_' else '-'
                   for c in name).strip('-')


def resolve(command: List[str]) -> List[str]:
    """Replace ``@last_checkpoint:DIR`` by that run's last checkpoint."""
    out = []
    for arg in command:
        if arg.startswith('@last_checkpoint:'):
            ckpt = last_checkpoint(arg.split(':', 1)[1])
            if ckpt is None:
                raise RuntimeError(f'no checkpoint in {arg.split(":", 1)[1]}')
            arg = ckpt
        out.append(arg)
    return out


def run_stages(stages: List[Stage], dry_run: bool) -> None:
    todo = [s for s in stages if not s.done]
    print(f'[benchmark] {len(stages)} stages, {len(stages) - len(todo)} '
          'already done', flush=True)
    start = time.time()
    for i, stage in enumerate(todo, 1):
        elapsed = time.time() - start
        eta = (f', ETA {fmt_time(elapsed / (i - 1) * (len(todo) - i + 1))}'
               if i > 1 else '')
        print(f'[benchmark] ({i}/{len(todo)}) {stage.title} '
              f'[{fmt_time(elapsed)} elapsed{eta}]', flush=True)
        if dry_run:
            print('    ' + ' '.join(stage.command))
            continue
        stage.command = resolve(stage.command)
        stage.run()


def fmt_time(seconds: float) -> str:
    return f'{int(seconds // 60):d}:{int(seconds % 60):02d}'


def read_fns(pre_dir: str) -> Dict[str, float]:
    """Last logged FNS diagnostics of a pretraining run (if any)."""
    values = {}
    for path in sorted(glob.glob(osp.join(pre_dir, '*', 'vis_data',
                                          'scalars.json'))):
        calibrated = []
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                for key in FNS_KEYS:
                    if key in record:
                        values[key] = record[key]
                if 'fnsd_num_calibrated' in record:
                    calibrated.append(record['fnsd_num_calibrated'])
        if calibrated:
            values['fnsd_num_calibrated'] = float(np.mean(calibrated))
    return values


def collect(spec: Config, work_dir: str, seeds: List[int]) -> dict:
    """Metrics of every (method, fraction, seed), and FNS diagnostics."""
    results = defaultdict(lambda: defaultdict(dict))
    fns = defaultdict(dict)
    for method in spec.pretrain:
        name = method['name']
        for seed in seeds:
            if method.get('config'):
                fns[name][seed] = read_fns(
                    osp.join(work_dir, 'pretrain', slug(name), f'seed{seed}'))
            for fraction in spec.finetune['fractions']:
                path = osp.join(work_dir, 'finetune', slug(name), fraction,
                                f'seed{seed}', 'test', 'metrics.json')
                with open(path) as f:
                    results[name][fraction][seed] = json.load(f)
    return dict(metrics=results, fns=fns)


def mean_std(values: List[float]) -> str:
    values = np.asarray(values, dtype=float)
    std = values.std(ddof=1) if values.size > 1 else 0.0
    return f'{np.nanmean(values):.2f} ± {std:.2f}'


def summarize(spec: Config, collected: dict, seeds: List[int]) -> str:
    """The results.md text."""
    metrics, fns = collected['metrics'], collected['fns']
    lines = [f'# Benchmark results ({len(seeds)} seed(s): {seeds})', '']
    for fraction in spec.finetune['fractions']:
        lines += [f'## Labelled fraction: {fraction}', '',
                  '| method | ' + ' | '.join(SUMMARY_METRICS) + ' |',
                  '|---|' + '---|' * len(SUMMARY_METRICS)]
        for method in spec.pretrain:
            runs = metrics[method['name']][fraction]
            lines.append(f'| {method["name"]} | ' + ' | '.join(
                mean_std([runs[s][m] for s in seeds])
                for m in SUMMARY_METRICS) + ' |')
        diffs = [m for m in spec.pretrain if m.get('baseline')]
        if diffs:
            lines += ['', 'Difference to the baseline, paired by seed '
                      '(mean ± std over seeds):', '',
                      '| comparison | ' + ' | '.join(SUMMARY_METRICS) + ' |',
                      '|---|' + '---|' * len(SUMMARY_METRICS)]
            for method in diffs:
                ours = metrics[method['name']][fraction]
                base = metrics[method['baseline']][fraction]
                lines.append(
                    f'| {method["name"]} − {method["baseline"]} | ' +
                    ' | '.join(
                        mean_std([ours[s][m] - base[s][m] for s in seeds])
                        for m in SUMMARY_METRICS) + ' |')
        lines.append('')
    fns_rows = [(name, runs) for name, runs in fns.items()
                if any('fns_precision' in r for r in runs.values())]
    if fns_rows:
        lines += ['## FNS diagnostics (pretraining)', '',
                  'Share of the calibrated pairs whose two patches have the '
                  'same dominant land-cover class, against the rate expected '
                  'by chance for a random pair of the batch.', '',
                  '| method | FNS precision | chance | calibrated pairs '
                  'per iteration |', '|---|---|---|---|']
        for name, runs in fns_rows:
            lines.append(f'| {name} | ' + ' | '.join(
                mean_std([runs[s].get(k, np.nan) for s in seeds])
                for k in FNS_KEYS) + ' |')
        lines.append('')
    return '\n'.join(lines)


def plot(spec: Config, collected: dict, seeds: List[int],
         work_dir: str) -> List[str]:
    """Bar charts of mIoU (with error bars) and per-class IoU."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    metrics = collected['metrics']
    names = [m['name'] for m in spec.pretrain]
    fractions = list(spec.finetune['fractions'])
    paths = []

    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(names), 3.6))
    width = 0.8 / len(fractions)
    for j, fraction in enumerate(fractions):
        values = [[metrics[n][fraction][s]['mIoU'] for s in seeds]
                  for n in names]
        x = np.arange(len(names)) + j * width
        ax.bar(x, [np.mean(v) for v in values], width,
               yerr=[np.std(v, ddof=1) if len(v) > 1 else 0 for v in values],
               capsize=4, label=fraction)
    ax.set_xticks(np.arange(len(names)) + width * (len(fractions) - 1) / 2)
    ax.set_xticklabels(names, fontsize=8)
    ax.set_ylabel('mIoU (%)')
    ax.set_title(f'Test mIoU, mean ± std over {len(seeds)} seed(s)')
    ax.legend(title='labels', fontsize=8)
    fig.tight_layout()
    paths.append(osp.join(work_dir, 'miou.png'))
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)

    fraction = fractions[0]
    classes = [
        k[len('IoU.'):] for k in metrics[names[0]][fraction][seeds[0]]
        if k.startswith('IoU.')
    ]
    fig, ax = plt.subplots(figsize=(2 + 0.9 * len(classes), 3.6))
    width = 0.8 / len(names)
    for j, name in enumerate(names):
        values = [
            np.nanmean([metrics[name][fraction][s][f'IoU.{c}'] for s in seeds])
            for c in classes
        ]
        ax.bar(np.arange(len(classes)) + j * width, values, width, label=name)
    ax.set_xticks(np.arange(len(classes)) + width * (len(names) - 1) / 2)
    ax.set_xticklabels(classes, rotation=30, ha='right', fontsize=8)
    ax.set_ylabel('IoU (%)')
    ax.set_title(f'Per-class IoU ({fraction}, mean over seeds)')
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths.append(osp.join(work_dir, 'per_class_iou.png'))
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)
    return paths


def main() -> None:
    args = parse_args()
    spec = Config.fromfile(args.spec)
    work_dir = args.work_dir or spec.work_dir
    seeds = args.seeds or list(spec.seeds)
    os.makedirs(work_dir, exist_ok=True)
    stages = plan(spec, work_dir, seeds)
    run_stages(stages, args.dry_run)
    if args.dry_run:
        return
    collected = collect(spec, work_dir, seeds)
    with open(osp.join(work_dir, 'results.json'), 'w') as f:
        json.dump(dict(seeds=seeds, **collected), f, indent=1)
    text = summarize(spec, collected, seeds)
    with open(osp.join(work_dir, 'results.md'), 'w') as f:
        f.write(text)
    plots = plot(spec, collected, seeds, work_dir)
    print(text)
    print(f'[benchmark] written: {osp.join(work_dir, "results.md")}, '
          f'results.json, {", ".join(osp.basename(p) for p in plots)}')


if __name__ == '__main__':
    main()
