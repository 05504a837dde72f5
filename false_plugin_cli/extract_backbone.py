"""Extract the backbone of a checkpoint for MMSeg (strictly by default).

    python tools/model_converters/extract_backbone.py CHECKPOINT OUT
        [--format {mmselfsup,mmpretrain,mmcls,torchvision}]
        [--seg-config CONFIG [--cfg-options KEY=VALUE ...]]
        [--depth D] [--in-channels C] [--partial]

CHECKPOINT is an MMSelfSup checkpoint (this project's pretraining), an
MMPretrain classifier, a torchvision ResNet (``--format``), or a training
work dir (its ``last_checkpoint``). OUT gets every backbone weight under
``backbone.``, for ``init_cfg=dict(type='Pretrained', checkpoint=OUT,
prefix='backbone.')``. The weights are checked against the backbone of
``--seg-config`` (or an MMSeg ``ResNet`` of ``--depth`` / ``--in-channels``,
read off the weights when not given): a missing, unexpected or
other-shape key stops the conversion, naming the file and the keys, and
nothing is written. ``--partial`` is the one way to accept less: what fits is
written, a first convolution with another band count is adapted by the band
rule (docs/benchmark.md), and what was adapted and left out is printed.
The checkpoint is read with ``weights_only=True`` and mmengine's allowlist.
"""
import argparse
import os.path as osp
from typing import List, Optional

from .runner_args import add_cfg_options, check_cfg_options

#: The values of --format (false_plugin.models.backbone_formats.FORMATS and
#: its aliases; repeated here so that parsing imports nothing heavy).
FORMATS = ('mmselfsup', 'mmpretrain', 'mmcls', 'torchvision')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='extract_backbone.py', description=__doc__.split('\n')[0])
    parser.add_argument(
        'checkpoint', help='checkpoint file, or a training work dir')
    parser.add_argument('out', help='output backbone checkpoint')
    parser.add_argument(
        '--format',
        dest='fmt',
        choices=FORMATS,
        default='mmselfsup',
        help='layout of CHECKPOINT (default: mmselfsup, also this '
        'project\'s pretraining)')
    parser.add_argument(
        '--seg-config',
        help='check the keys against the backbone of this MMSeg config')
    add_cfg_options(parser, '--seg-config')
    parser.add_argument(
        '--depth', type=int, help='MMSeg ResNet depth (default: inferred)')
    parser.add_argument(
        '--in-channels',
        type=int,
        help='MMSeg ResNet input channels (default: inferred)')
    parser.add_argument(
        '--partial',
        action='store_true',
        help='write what fits, adapting the first convolution to the '
        'band count (band rule); print what was adapted and left out')
    parser.add_argument(
        '--strict',
        action='store_true',
        help=argparse.SUPPRESS)  # the default now; accepted for old scripts
    args = parser.parse_args(argv)
    if args.strict and args.partial:
        parser.error('--strict and --partial exclude each other (strict is '
                     'the default)')
    if not osp.exists(args.checkpoint):
        parser.error(f'checkpoint {args.checkpoint}: no such file or '
                     'directory')
    if args.seg_config is not None and not osp.isfile(args.seg_config):
        parser.error(f'--seg-config {args.seg_config}: no such file')
    check_cfg_options(parser, args.cfg_options)
    for name in ('depth', 'in_channels'):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f'--{name.replace("_", "-")} must be at least 1, '
                         f'got {value}')
    return args


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    from false_plugin.apis.extract_backbone import (extract_backbone,
                                                    report_lines)
    from false_plugin.apis.runner_config import parse_cfg_options
    from false_plugin.apis.errors import USER_ERRORS
    try:
        report = extract_backbone(
            args.checkpoint, args.out, seg_config=args.seg_config,
            cfg_options=parse_cfg_options(args.cfg_options),
            depth=args.depth,
            in_channels=args.in_channels, fmt=args.fmt, partial=args.partial)
    except (ValueError, FileNotFoundError, *USER_ERRORS) as err:
        raise SystemExit(f'extract_backbone: {err}')
    for line in report_lines(report):
        print(line)
    print(f'written to {args.out} ({report["written"]} weights, prefix '
          '"backbone.")')


if __name__ == '__main__':
    main()
