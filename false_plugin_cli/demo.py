"""The demo (``make demo``): SimCLR vs FALSE-SimCLR on a real scene.

    python tools/demo.py [--scene dubai|yell|raleigh] [--seeds 0 1 2]
        [--launcher fork|subprocess] [--jobs N] [--threads T]
        [--work-dir DIR]

from the repository's root (it reads ``data/demo/`` and ``configs/demo/``;
``python -m false_plugin_cli.demo`` is the same command). The demo itself is
:func:`false_plugin.apis.demo.run_demo`.

Scenes (``data/demo/README.md`` says where they come from):

- ``dubai`` (default, ``make demo``): Dubai satellite RGB (MBRSC, CC0), 5
  classes (building, land, road, vegetation, water), split by area: Tiles
  3-6 are the training areas (pretraining without labels, 64 px patches, 5%
  of them labelled), Tile 2 the validation area (on which the recipe was
  chosen), Tile 1 the held-out test area, its 9 parts evaluated whole by
  64 px windows. Cut by the general folder converter
  (``tools/dataset_converters/tile_folders.py``). Written to
  ``work_dirs/demo_dubai/``.
- ``yell``: NEON aerial RGB of Yellowstone at
  20 cm, tree / background from annotated crown boxes. Labelled 64 px
  patches of the training region (rows 0-543; 5% of them, 27, labelled), a
  validation region (rows 576-767, on which the recipe was chosen) and a
  held-out test region (rows 800-1235), each a whole tile evaluated by
  sliding window; pretraining sees rows 0-767 without labels, never the
  test region. Written to ``work_dirs/demo/``.
- ``raleigh``: the 5-band Landsat-7 scene at 28.5 m with a 7-class
  land-cover map; 64 px test patches of the held-out columns 320-488.
  Written to ``work_dirs/demo_raleigh/``.

Steps, all through the benchmark's stages (a finished stage is skipped, so
re-running continues where it stopped; the tools start from a fork server
that imports the stack once, see :mod:`false_plugin.benchmark.launchers`).
Every stage computes with ``--threads`` CPU threads (default 1), so the
numbers do not depend on the machine's core count; ``--jobs`` (default: CPUs
/ threads) methods and seeds run alongside. Floating-point sums depend on
the thread count and on the CPU: run the demo at ``--threads 2`` as well to
see which verdicts survive another rounding:

1. ``false_plugin_cli.tile_folders`` (a folder of tiles) or
   ``false_plugin_cli.geotiff`` (one scene), the command lines of
   ``tools/dataset_converters/``, cut the training patches and the test
   tiles; ``false_plugin_cli.make_split`` draws the labelled fraction.
2. The benchmark spec (``configs/demo/benchmark_<scene>.py``): SimCLR,
   FALSE-SimCLR (official and per-anchor selection), FALSE-SimCLR without
   calibration (the control, on the Dubai scene) and a random-init
   encoder; pretraining, backbone extraction, fine-tuning on the frozen
   encoder (DeepLabV3+; on the Dubai scene a linear probe) and test, for
   each seed; ``results.md`` and the plots.
3. ``predictions.png``: the test region in true colour, its labels and each
   method's prediction (first seed) of the whole region (on the Dubai
   scene: of one test tile), by sliding windows as ``tools/predict.py``
   does.
"""
import argparse
import os
import os.path as osp
from typing import Optional, Sequence

#: The scenes of :data:`false_plugin.apis.demo.SCENES` (a test keeps the
#: two lists equal).
SCENE_NAMES = ('dubai', 'raleigh', 'yell')
#: CPU threads of every stage: the README's numbers are reproducible at a
#: fixed thread count on one CPU model (floating-point sums depend on both).
DEMO_THREADS = 1
#: What the demo reads, relative to the repository's root.
DEMO_INPUTS = ('data/demo', 'configs/demo')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The arguments (``argv`` None: the command line's), checked: a count
    below 1, or a current directory without the demo's data, exits with
    status 2."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--scene', choices=SCENE_NAMES, default='dubai')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--launcher',
        choices=['fork', 'subprocess'],
        help='how the tools start (default: fork where possible)')
    parser.add_argument(
        '--threads',
        type=int,
        default=DEMO_THREADS,
        help=f'CPU threads of each stage (default {DEMO_THREADS}); another '
        'count rounds differently: a check of the verdicts')
    parser.add_argument(
        '--jobs',
        type=int,
        help='methods and seeds run alongside (default: CPUs / threads)')
    parser.add_argument(
        '--work-dir',
        help="where the runs are written (default: the scene's; the data "
        "stay in the scene's)")
    args = parser.parse_args(argv)
    for name in ('threads', 'jobs'):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f'--{name} must be at least 1, got {value}')
    missing = [path for path in DEMO_INPUTS if not osp.isdir(path)]
    if missing:
        parser.error(f'no {" or ".join(missing)} in {osp.abspath(".")}: run '
                     "the demo from the repository's root")
    if args.jobs is None:
        args.jobs = max(1, (os.cpu_count() or 1) // args.threads)
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Parse ``argv`` (default: the command line), then run the demo."""
    args = parse_args(argv)
    # The stack after the arguments: --help and usage errors come at once.
    from false_plugin.apis.demo import run_demo
    run_demo(args.scene, args.seeds, args.launcher, args.threads, args.jobs,
             args.work_dir)


if __name__ == '__main__':
    main()
