"""Convert DeepGlobe Land Cover (2448 px ``{id}_sat.jpg``/``{id}_mask.png``)
to patches.

    python tools/dataset_converters/deepglobe.py DEEPGLOBE_TRAIN_DIR
        [-o data/deepglobe] [--patch-size 256] [--stride 256]
        [--test-fraction 0.2] [--seed 0] [--whole-test-tiles] [--overwrite]

Only the released training folder has masks, so its images are split into
train and test by image (``--test-fraction``, seeded; the ids of each split
are written to ``splits/{train,test}_images.txt``). Masks are binarised at 128
per channel (the released PNGs are not exactly 0/255) and mapped to urban 0,
agriculture 1, rangeland 2, forest 3, water 4, barren 5, unknown (black) 255.
Image patches are JPEG (quality 95), like the source; labels index PNGs.
``--whole-test-tiles`` also writes the test images uncut (split
``test_tiles``) for the whole-tile protocol. Re-running skips finished
images (unless their files changed, or ``--overwrite``) and restarts the
image an interrupted run left unfinished.
"""
import argparse
from typing import Optional, Sequence

from .geotiff import check_cutting


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='deepglobe.py', description=__doc__.split('\n')[0])
    parser.add_argument('train_dir', help='folder of *_sat.jpg / *_mask.png')
    parser.add_argument('-o', '--out-dir', default='data/deepglobe')
    parser.add_argument('--patch-size', type=int, default=256)
    parser.add_argument('--stride', type=int, default=256)
    parser.add_argument('--test-fraction', type=float, default=0.2)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--whole-test-tiles', action='store_true',
                        help='also write the test images whole (split '
                        'test_tiles), for whole-tile evaluation')
    parser.add_argument('--overwrite', action='store_true',
                        help='convert finished images again')
    args = parser.parse_args(argv)
    check_cutting(parser, args)
    if not 0 <= args.test_fraction < 1:
        parser.error(f'--test-fraction must be in [0, 1), got '
                     f'{args.test_fraction}')
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    from false_plugin.conversion.deepglobe import convert_deepglobe
    from false_plugin.datasets.raster_io import RasterReadError
    try:
        convert_deepglobe(args.train_dir, args.out_dir, args.patch_size,
                          args.stride, args.test_fraction, args.seed,
                          args.whole_test_tiles, args.overwrite,
                          log=lambda line: print(line, flush=True))
    except (ValueError, RasterReadError) as err:
        raise SystemExit(f'error: {err}')


if __name__ == '__main__':
    main()
