"""Train a pretraining (MMSelfSup) or segmentation (MMSeg) model.

Same flags as ``tools/train.py`` of MMSelfSup and MMSegmentation::

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm,mpi}]

(or ``false-train``, ``python -m false_plugin_cli.train``). The work dir is
``--work-dir``, else the config's ``work_dir``, else
``./work_dirs/<config file stem>``. The training itself is
:func:`false_plugin.apis.train.train`.
"""
import argparse
import sys
from typing import Optional, Sequence

from .runner_args import add_runner_arguments, check_runner_arguments


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The arguments (``argv`` None: the command line's), checked: a
    missing config or a malformed ``--cfg-options`` item exits with status 2.
    """
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or, without a path, from the '
        'latest checkpoint in the work directory')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic-mixed-precision training')
    add_runner_arguments(parser, 'the dir to save logs and models')
    args = parser.parse_args(argv)
    check_runner_arguments(parser, args)
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Parse ``argv`` (default: the command line), then train."""
    args = parse_args(argv)
    # The stack after the arguments: --help and usage errors come at once.
    from false_plugin.apis.errors import USER_ERRORS
    from false_plugin.apis.train import train
    try:
        train(args.config, args.work_dir, args.resume, args.amp,
              args.cfg_options, args.launcher)
    except USER_ERRORS as err:
        # Names the file and what is wrong: one line, no trace.
        print(f'train.py: error: {err}', file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
