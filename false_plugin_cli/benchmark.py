"""Baseline vs FALSE, end to end: pretrain -> extract -> fine-tune -> test.

From a spec file (``false-benchmark`` and ``python -m
false_plugin_cli.benchmark`` are the same command)::

    python tools/benchmark.py SPEC [--work-dir DIR] [--seeds 0 1 2]
        [--fractions NAME=SPLIT ...] [--dry-run]

or from the command line alone::

    python tools/benchmark.py --pretrain configs/false/simclr_....py \\
        configs/false/false-simclr_....py --random-init \\
        --seg-config configs/seg/deeplabv3plus_....py \\
        --fractions 1pct=splits/train_1pct.txt --seeds 0 1 2 \\
        --work-dir work_dirs/benchmark [--pairs OURS=BASELINE ...]

SPEC is a Python config (``configs/demo/benchmark_dubai.py`` is one; YAML or
JSON with the same keys works too); its keys are listed in
:mod:`false_plugin.benchmark.spec`. A config path in a spec is relative to
the current directory where it exists there, else to the spec file's
directory; the stages run in the current directory.

Each FALSE method is compared with its baseline(s): the entry's ``baseline``
(a name or a list), else ``pairs`` / ``--pairs`` (several baselines for one
method allowed), else the naming convention ``FALSE-X`` vs ``X``
(case-insensitive; config file stems ``false-simclr_...`` vs ``simclr_...``
when the methods come from ``--pretrain``).

Every stage runs the command lines users run (the ``main`` of
``false_plugin_cli.train``, ``.extract_backbone``, ``.test``; the same as
``tools/train.py`` ... and ``false-train`` ...), with its output in a log
file beside its results: in a child forked from a fork server that imports
the stack once (``--launcher fork``, the default on POSIX, see
:mod:`false_plugin.benchmark.launchers`), or in a fresh interpreter
(``--launcher subprocess``, or the environment variable
``BENCHMARK_LAUNCHER=subprocess``). ``--jobs N`` runs N methods and seeds
alongside (each stage with ``--threads`` CPU threads, by default the CPUs
divided by N; a stage's numbers depend on its threads, not on N). A
finished stage is skipped, an interrupted training resumes from its last
checkpoint, so re-running the same command continues where it stopped.
The work dir gets ``results.md`` (mean ± std over seeds per metric, mIoU
over the classes present in the test ground truth, method - baseline paired
by seed with its 95% interval and verdict, per-class IoU, the FNS
diagnostics of the pretraining logs), ``results.json``, ``miou.png`` (bars
with error bars), ``per_class_iou.png`` and, when pretraining logged them,
``fns_precision.png`` (FNS precision and chance over the pretraining
iterations).

The logic lives in :mod:`false_plugin.benchmark`; this is its command line
(nothing heavy is imported before the arguments are checked).
"""
import argparse
import os
import os.path as osp
from typing import Optional, Sequence

#: Options that are not spec overrides.
RUN_OPTIONS = ('dry_run', 'launcher', 'jobs', 'threads')
#: ``false_plugin.benchmark.launchers``: its launchers and the environment
#: variable that picks one (checked there again).
LAUNCHERS = ('fork', 'subprocess')
LAUNCHER_ENV = 'BENCHMARK_LAUNCHER'


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's argument parser."""
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
    parser.add_argument(
        '--launcher',
        choices=LAUNCHERS,
        help='how each stage starts: forked from this process, which '
        'imports the stack once (default where os.fork exists), or a fresh '
        f'interpreter; default: ${LAUNCHER_ENV}, else fork')
    parser.add_argument(
        '--jobs',
        type=int,
        default=1,
        help='methods and seeds run alongside (default 1)')
    parser.add_argument(
        '--threads',
        type=int,
        help='CPU threads of each stage (default: the environment\'s with '
        '--jobs 1, else the CPUs divided by the jobs)')
    return parser


def check_args(parser: argparse.ArgumentParser,
               args: argparse.Namespace) -> None:
    """Usage errors (exit 2, naming the argument): a spec file that does
    not exist, malformed ``NAME=SPLIT`` / ``OURS=BASELINE`` items, a band
    below 1, ``--jobs`` or ``--threads`` below 1."""
    if args.spec is not None and not osp.isfile(args.spec):
        parser.error(f'spec {args.spec}: no such file')
    for option, items, form in (('--fractions', args.fractions, 'NAME=SPLIT'),
                                ('--pairs', args.pairs, 'OURS=BASELINE')):
        for item in items or []:
            name, sep, _ = item.partition('=')
            if not sep or not name:
                parser.error(f'{option} "{item}" is not {form}')
    if args.rgb_bands and min(args.rgb_bands) < 1:
        parser.error(f'--rgb-bands are 1-based, got {args.rgb_bands}')
    for name in ('jobs', 'threads'):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f'--{name} must be at least 1, got {value}')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The arguments (``argv`` None: the command line's), checked
    (:func:`check_args`)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    check_args(parser, args)
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Parse ``argv`` (default: the command line), load the spec (an error
    in it exits with status 2, naming the spec), run the benchmark, print
    ``results.md``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    check_args(parser, args)
    # The stack after the arguments: --help and usage errors come at once.
    from false_plugin.benchmark import (build_launcher, load_spec,
                                        run_benchmark)
    overrides = {
        k: v
        for k, v in vars(args).items() if k not in RUN_OPTIONS
    }
    try:
        spec = load_spec(**overrides)
        threads = args.threads or (max(1, (os.cpu_count() or 1) // args.jobs)
                                   if args.jobs > 1 else None)
        launcher = build_launcher(args.launcher, threads)
    except ValueError as err:
        parser.error(str(err))
    try:
        written = run_benchmark(spec, args.dry_run, launcher, args.jobs)
    except RuntimeError as err:
        raise SystemExit(f'[benchmark] {err}\n[benchmark] fix it and run the '
                         'same command again: finished stages are skipped.')
    finally:
        launcher.close()
    if not written:
        return
    with open(written[1]) as f:  # results.md
        print(f.read())
    print(f'[benchmark] written: {", ".join(written)}')


if __name__ == '__main__':
    main()
