"""Convert ISPRS Potsdam (2D semantic labelling) to 256 px patches.

    python tools/dataset_converters/potsdam.py ISPRS_ROOT [-o data/potsdam]
        [--image-type RGB|RGBIR|IRRG] [--label-type label|label_noBoundary]
        [--patch-size 256] [--stride 240] [--whole-test-tiles] [--overwrite]

ISPRS_ROOT is searched recursively for ``top_potsdam_{r}_{c}_{TYPE}.tif``
and ``top_potsdam_{r}_{c}_{label|label_noBoundary}.tif`` (the unzipped
``2_Ortho_RGB``, ``4_Ortho_RGBIR``, ``3_Ortho_IRRG``, ``5_Labels_all``...
folders). The 24 official training tiles and 14 test tiles are cut into
patches: with the defaults (256 px, stride 240) a 6000 px tile gives
24 x 24 = 576 patches, 13,824 for training and 8,064 for testing (the FALSE
group's protocol). RGB and IRRG patches are PNG, RGBIR patches 4-band
GeoTIFF; labels are index PNGs (impervious surface 0, building 1, low
vegetation 2, tree 3, car 4, clutter 5; black = 255, ignored). Each label
tile must lie on its image's grid (size, and CRS and geotransform where
both have them). ``--whole-test-tiles`` also writes the test tiles uncut
(split ``test_tiles``), for the whole-tile protocol (sliding-window
inference, ``*_potsdam-1pct-wholetile.py``). Re-running skips finished
tiles (unless their files changed, or ``--overwrite``) and restarts the
tile an interrupted run left unfinished.
"""
import argparse
from typing import Optional, Sequence

from .geotiff import check_cutting


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='potsdam.py', description=__doc__.split('\n')[0])
    parser.add_argument('isprs_root')
    parser.add_argument('-o', '--out-dir', default='data/potsdam')
    parser.add_argument('--image-type', choices=['IRRG', 'RGB', 'RGBIR'],
                        default='RGB')
    parser.add_argument('--label-type', default='label',
                        choices=['label', 'label_noBoundary'])
    parser.add_argument('--patch-size', type=int, default=256)
    parser.add_argument('--stride', type=int, default=240)
    parser.add_argument('--binarize', action='store_true',
                        help='threshold label colours at 128 first')
    parser.add_argument('--whole-test-tiles', action='store_true',
                        help='also write the 14 test tiles whole (split '
                        'test_tiles), for whole-tile evaluation')
    parser.add_argument('--overwrite', action='store_true',
                        help='convert finished tiles again')
    args = parser.parse_args(argv)
    check_cutting(parser, args)
    return args


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    from false_plugin.conversion.potsdam import convert_potsdam
    from false_plugin.datasets.raster_io import RasterReadError
    try:
        convert_potsdam(args.isprs_root, args.out_dir, args.image_type,
                        args.label_type, args.patch_size, args.stride,
                        args.binarize, args.whole_test_tiles, args.overwrite,
                        log=lambda line: print(line, flush=True))
    except (ValueError, RasterReadError) as err:
        raise SystemExit(f'error: {err}')


if __name__ == '__main__':
    main()
