"""Test (and evaluate) a checkpoint, MMSeg or MMSelfSup config.

Same flags as ``tools/test.py`` of MMSegmentation::

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR]
        [--show-dir DIR [--rgb-bands R G B]] [--cfg-options KEY=VALUE ...]
        [--launcher {none,pytorch,slurm,mpi}]

(or ``false-test``, ``python -m false_plugin_cli.test``). The metrics are
also written to ``WORK_DIR/metrics.json``. With ``--show-dir``, every test
image gets ``DIR/{stem}.png`` (image, ground truth and prediction side by
side, in the dataset palette; multispectral images as a composite of
``--rgb-bands`` with a 2-98 percentile stretch) and ``DIR/{stem}_pred.png``
(the predicted index map). The test itself is
:func:`false_plugin.apis.test.test`.
"""
import argparse
import sys
from typing import Optional, Sequence

from .runner_args import add_runner_arguments, check_runner_arguments


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The arguments (``argv`` None: the command line's), checked: a
    missing config, a malformed ``--cfg-options`` item or a band below 1
    exits with status 2."""
    parser = argparse.ArgumentParser(description='Test (and evaluate) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--show-dir',
        help='the dir to save image / ground truth / prediction overlays')
    parser.add_argument(
        '--rgb-bands',
        type=int,
        nargs=3,
        metavar=('R', 'G', 'B'),
        help='1-based bands shown as R G B in the overlays (multispectral)')
    add_runner_arguments(parser, 'the dir to save logs and metrics')
    args = parser.parse_args(argv)
    check_runner_arguments(parser, args)
    if args.rgb_bands and min(args.rgb_bands) < 1:
        parser.error(f'--rgb-bands are 1-based, got {args.rgb_bands}')
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Parse ``argv`` (default: the command line), then test."""
    args = parse_args(argv)
    # The stack after the arguments: --help and usage errors come at once.
    from false_plugin.apis.errors import USER_ERRORS
    from false_plugin.apis.test import test
    try:
        test(args.config, args.checkpoint, args.work_dir, args.show_dir,
             args.rgb_bands, args.cfg_options, args.launcher)
    except USER_ERRORS as err:
        # Names the file and what is wrong: one line, no trace.
        print(f'test.py: error: {err}', file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
