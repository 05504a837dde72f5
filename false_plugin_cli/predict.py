"""Predict a whole scene with a segmentation model: a class map (COG) on the
input's exact grid.

    python tools/predict.py CONFIG CHECKPOINT IMAGE OUT_TIF [--window 256]
        [--overlap 64] [--batch-size 8] [--bands B ...] [--probs]
        [--overwrite] [--device cpu|cuda] [--cfg-options KEY=VALUE ...]

Sliding windows over a GeoTIFF (or any GDAL raster) of any size, read a
batch at a time as the config's test pipeline reads its images (its
``LoadRSImageFromFile`` bands and nodata value, unless ``--bands`` is
given); each window keeps the centre of its overlaps with its neighbours,
so no seams show, and the last row and column of windows are shifted
inward so every pixel is predicted. OUT_TIF is uint8 class indices with the
input's width, height, CRS and transform, 255 (declared nodata) wherever the
input is nodata, tiled, compressed, with overviews, the dataset palette as
colour table and the class names as category names and attribute table
(``OUT_TIF.aux.xml``). ``--probs`` also writes ``OUT_TIF`` with ``_probs``
before its suffix: one uint8 band per class named after it, scale 1/255,
nodata masked. Existing outputs are kept unless ``--overwrite`` is given (an
older ``_probs`` file beside OUT_TIF is then replaced, or removed without
``--probs``); nothing appears at OUT_TIF until the scene is done, and an
error or SIGTERM leaves no temporary behind (exit status 143 on SIGTERM).
Checkpoints load through the project's safe loader.
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence

from .runner_args import add_cfg_options, check_cfg_options


def probs_path(out: str) -> str:
    """The probabilities written beside the class map ``out``."""
    stem, suffix = osp.splitext(out)
    return f'{stem}_probs{suffix or ".tif"}'


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='predict.py', description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a segmentation config')
    parser.add_argument('checkpoint', help='its trained weights')
    parser.add_argument('image', help='the scene (GeoTIFF, any GDAL raster)')
    parser.add_argument('out', help='the class map to write (GeoTIFF)')
    parser.add_argument('--window', type=int, default=256, metavar='SIZE',
                        help='side of the sliding windows in pixels '
                        '(default 256)')
    parser.add_argument('--overlap', type=int, default=64,
                        help='overlap of neighbouring windows (default 64)')
    parser.add_argument('--batch-size', type=int, default=8,
                        help='windows per forward pass (default 8)')
    parser.add_argument('--bands', type=int, nargs='+',
                        help='1-based bands (default: the config\'s)')
    parser.add_argument('--probs', action='store_true',
                        help='also write per-class probabilities '
                        '(OUT with _probs before its suffix)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace existing outputs (and remove an older '
                        '_probs file beside OUT)')
    parser.add_argument('--device', default='cpu')
    add_cfg_options(parser)
    return parser


def _first_existing_parent(path: str) -> str:
    folder = osp.dirname(osp.abspath(path))
    while not osp.exists(folder):
        folder = osp.dirname(folder)
    return folder


def check_args(parser: argparse.ArgumentParser,
               args: argparse.Namespace) -> List[str]:
    """Usage errors (``parser.error``, exit 2) before anything loads.

    Returns:
        list: Outputs of an earlier run to remove once the new map is
        written (``--overwrite`` without ``--probs``: an old ``_probs``).
    """
    for name in ('window', 'batch_size'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be at least 1, '
                         f'got {getattr(args, name)}')
    if not 0 <= args.overlap < args.window:
        parser.error(f'--overlap must be in [0, --window) = [0, '
                     f'{args.window}), got {args.overlap}')
    if args.bands and min(args.bands) < 1:
        parser.error(f'--bands are 1-based, got {args.bands}')
    for name in ('config', 'checkpoint', 'image'):
        if not osp.isfile(getattr(args, name)):
            parser.error(f'{name} {getattr(args, name)}: no such file')
    check_cfg_options(parser, args.cfg_options)
    probs = probs_path(args.out)
    if osp.abspath(args.image) in (osp.abspath(args.out),
                                   osp.abspath(probs)):
        parser.error(f'out {args.out}: is the input image')
    if osp.isdir(args.out):
        parser.error(f'out {args.out}: is a folder; give the file to write')
    parent = _first_existing_parent(args.out)
    if not osp.isdir(parent):
        parser.error(f'out {args.out}: {parent} is not a folder')
    if not os.access(parent, os.W_OK | os.X_OK):
        parser.error(f'out {args.out}: {parent} is not writable')
    existing = [p for p in (args.out, probs) if osp.exists(p)]
    if existing and not args.overwrite:
        what = ' and '.join(existing)
        old = ('' if args.probs or not osp.exists(probs) else
               f' ({probs}: probabilities of an earlier run, which would '
               'not match the new map)')
        parser.error(f'out {what}: exists{old}; give --overwrite to '
                     'replace it')
    return [probs] if probs in existing and not args.probs else []


def parse_args(argv: Optional[Sequence[str]] = None
               ) -> argparse.Namespace:
    """Parse and check the arguments; ``replaces`` is added (see
    :func:`check_args`)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.replaces = check_args(parser, args)
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    # The stack after the arguments: --help and usage errors come at once.
    from false_plugin.apis.errors import USER_ERRORS
    from false_plugin.apis.predict import predict
    from false_plugin.apis.runner_config import parse_cfg_options
    probs = probs_path(args.out) if args.probs else None
    cfg_options = parse_cfg_options(args.cfg_options) or None
    try:
        stats = predict(args.config, args.checkpoint, args.image, args.out,
                        probs_out=probs, window_size=args.window,
                        overlap=args.overlap, batch_size=args.batch_size,
                        bands=args.bands, device=args.device,
                        cfg_options=cfg_options,
                        overwrite=args.overwrite, replaces=args.replaces)
    except (OSError, *USER_ERRORS) as err:
        # Errors that name the file and what is wrong: one line, no trace.
        print(f'predict.py: error: {err}', file=sys.stderr)
        sys.exit(1)
    removed = (f'; removed the older {args.replaces[0]}'
               if args.replaces else '')
    nodata = stats['nodata_pixels'] / max(stats['pixels'], 1)
    print(f'[predict] wrote {args.out}' + (f' and {probs}' if probs else '')
          + f': {stats["seconds"]:.1f} s, '
          f'{stats["megapixels_per_second"]:.2f} megapixels/s, '
          f'{nodata:.1%} nodata{removed}')


if __name__ == '__main__':
    main()
