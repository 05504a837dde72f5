"""Windows per second and peak memory of the pretraining loader on many
large tiles, against plain rasterio windowed reads.

    python tools/benchmarks/pretrain_loading.py [--data-dir DIR]
        [--size 2448] [--tiles 1 8 9 40] [--kinds rgb8 uint16x4]
        [--layouts tiled striped] [--workers 0 2] [--cache]
        [--windows-per-site 1 16] [--site-size N]
        [--patch-size 48] [--windows 2048] [--max-seconds 20]

Tiles of ``--size`` px (uint8 RGB and uint16 4-band, 256 px tiles or
GDAL's default strips, deflate) are written to ``--data-dir`` once and kept
there for the next run (a temporary folder, removed at the end, without
it). For each tile count the real loader (RSTileSamplingDataset +
RSWindowSampler + DataLoader, ``--workers`` each) reads ``--windows``
random ``--patch-size`` px windows (or for ``--max-seconds``), each
measurement in a fresh process; ``--cache`` adds
``LoadRSImageFromFile(cache=True)``, and each ``--windows-per-site`` above 1
the loader drawing that many windows a site (``RSTileSamplingDataset(
windows_per_site, site_size)``, ``--site-size`` px boxes, 4 x
``--patch-size`` by default). The library:
``false_plugin.speed.pretrain_loading``.
"""
import argparse
import tempfile

#: The names of ``false_plugin.speed.pretrain_loading.KINDS`` and
#: ``LAYOUTS``, listed here so that ``--help`` needs no import of the stack.
KIND_NAMES = ('rgb8', 'uint16x4')
LAYOUT_NAMES = ('striped', 'tiled')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-dir', help='keep the tiles here')
    parser.add_argument('--size', type=int, default=2448)
    parser.add_argument('--tiles', type=int, nargs='+', default=[1, 8, 9, 40])
    parser.add_argument('--kinds', nargs='+', choices=KIND_NAMES,
                        default=['rgb8', 'uint16x4'])
    parser.add_argument('--layouts', nargs='+', choices=LAYOUT_NAMES,
                        default=['tiled', 'striped'])
    parser.add_argument('--workers', type=int, nargs='+', default=[0, 2])
    parser.add_argument('--cache', action='store_true',
                        help='also measure LoadRSImageFromFile(cache=True)')
    parser.add_argument('--windows-per-site', type=int, nargs='+',
                        default=[1, 16],
                        help='the loader drawing this many windows a site '
                        '(1: every window drawn independently)')
    parser.add_argument('--site-size', type=int,
                        help='side of a site box in px (4 x --patch-size)')
    parser.add_argument('--patch-size', type=int, default=48)
    parser.add_argument('--windows', type=int, default=2048)
    parser.add_argument('--max-seconds', type=float, default=20.0)
    args = parser.parse_args(argv)
    for name in ('size', 'tiles', 'patch_size', 'windows',
                 'windows_per_site'):
        values = getattr(args, name)
        if min(values if isinstance(values, list) else [values]) < 1:
            parser.error(f'--{name.replace("_", "-")} must be at least 1, '
                         f'got {values}')
    if min(args.workers) < 0:
        parser.error(f'--workers must be at least 0, got {args.workers}')
    if args.max_seconds <= 0:
        parser.error(f'--max-seconds must be positive, got '
                     f'{args.max_seconds:g}')
    if args.patch_size > args.size:
        parser.error(f'--patch-size must be at most --size ({args.size}), '
                     f'got {args.patch_size}')
    if args.site_size is not None and not (
            args.patch_size <= args.site_size <= args.size):
        parser.error(f'--site-size must be within --patch-size '
                     f'({args.patch_size}) and --size ({args.size}), got '
                     f'{args.site_size}')
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    from false_plugin.speed.pretrain_loading import (format_table,
                                                     measure_matrix)
    timing = dict(patch_size=args.patch_size, num_windows=args.windows,
                  max_seconds=args.max_seconds)
    caches = [False, True] if args.cache else [False]
    with tempfile.TemporaryDirectory() as tmp:
        rows = measure_matrix(args.data_dir or tmp, args.size, args.tiles,
                              args.kinds, args.layouts, args.workers, caches,
                              args.windows_per_site, args.site_size,
                              **timing)
    print(f'\n{args.patch_size} px windows of {args.size} px tiles, '
          f'{args.windows} windows or {args.max_seconds:g} s per row:\n')
    print(format_table(rows))


if __name__ == '__main__':
    main()
