"""The arguments that ``train`` and ``test`` share: the OpenMMLab flags of a
tool that starts an mmengine ``Runner`` (``--work-dir``, ``--cfg-options``,
``--launcher``, ``--local_rank``), parsed without importing the stack."""
import argparse
import os
import os.path as osp
from typing import Sequence

#: mmengine's launchers (``Runner(launcher=...)``).
LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')


def add_cfg_options(parser: argparse.ArgumentParser,
                    what: str = 'the config') -> None:
    """Add ``--cfg-options KEY=VALUE ...`` (a list of strings; parsed into
    a dict after the stack is imported, by
    :func:`false_plugin.apis.runner_config.parse_cfg_options`)."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action='extend',
        default=[],
        metavar='KEY=VALUE',
        help=f'override settings of {what}, as key=value pairs (values '
        'parsed as mmengine\'s DictAction does: 1, 0.5, true, [a,b], ...)')


def check_cfg_options(parser: argparse.ArgumentParser,
                      items: Sequence[str]) -> None:
    """A usage error (exit 2) for an item that is not ``KEY=VALUE``."""
    for item in items:
        key, sep, _ = item.partition('=')
        if not sep or not key:
            parser.error(f'--cfg-options "{item}" is not KEY=VALUE')


def add_runner_arguments(parser: argparse.ArgumentParser,
                         work_dir_help: str) -> None:
    """Add ``--work-dir``, ``--cfg-options``, ``--launcher`` and
    ``--local_rank`` (as MMSelfSup's and MMSeg's tools have them)."""
    parser.add_argument('--work-dir', help=work_dir_help)
    add_cfg_options(parser)
    parser.add_argument(
        '--launcher', choices=LAUNCHERS, default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def check_runner_arguments(parser: argparse.ArgumentParser,
                           args: argparse.Namespace) -> None:
    """Usage errors (exit 2, ``parser.error``) for a config file that does
    not exist and a ``--cfg-options`` item that is not ``KEY=VALUE``; then
    ``LOCAL_RANK`` from ``--local_rank`` unless the launcher has set it."""
    if not osp.isfile(args.config):
        parser.error(f'config {args.config}: no such file')
    check_cfg_options(parser, args.cfg_options)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
