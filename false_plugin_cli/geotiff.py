"""Cut a GeoTIFF and its label raster into georeferenced patches.

    python tools/dataset_converters/geotiff.py IMAGE LABEL OUT_DIR \
        (--class-table CSV | --num-classes K | --label-map RAW=INDEX ...) \
        [--split train] [--patch-size 256] [--stride 256] \
        [--region COL ROW WIDTH HEIGHT] [--min-valid 0.5] \
        [--unmapped error|ignore] [--ignore-255] [--whole] [--overwrite]

Writes ``OUT_DIR/img_dir/SPLIT/{stem}_{row}_{col}.tif`` (the image's bands,
dtype, values and nodata, with the patch's own geotransform),
``OUT_DIR/ann_dir/SPLIT/{stem}_{row}_{col}.tif`` (uint8 class indices, 255
where a pixel is ignored) and ``OUT_DIR/manifest_SPLIT.csv`` (patch, source
image, window: every scene converted into OUT_DIR, whichever call converted
it), and ends with a summary: pixels per class, pixels ignored by cause,
patches not written, why, and their pixels by cause.

Before anything is written: the label raster must lie on the image's grid
(size, CRS and geotransform; files without georeference are compared by
size, and the summary says so), and every label value must be a class. The
classes come from ``--class-table`` (its ``value`` column is a label map),
``--num-classes`` or the indices of ``--label-map`` (``0=0 255=1`` for a
binary 0/255 mask, ``10=0 20=1 ...`` for a coded product); without a map
the values must be indices 0..K-1 already. A 0/255 (or 0/1/255) mask
without a map is an error that prints the ``--label-map`` to add, unless
``--ignore-255`` says that 255 means "no label". Values that are neither
classes nor 255 stop the converter with each value and its pixel count;
``--unmapped ignore`` ignores and counts them instead. Pixels are ignored
where the image is nodata (declared, NaN or infinite, or masked), where the
label is nodata, where it is 255. Patches with less than ``--min-valid``
labelled pixels are not written. ``--whole`` writes the region (or the
raster) uncut as one tile, named after the image: a test split for
whole-tile evaluation.

Re-running skips a finished scene unless its image or label file changed
since (then it is converted again); other options over a finished scene
are an error unless ``--overwrite``. A run that was interrupted leaves the
scene marked unfinished (``make_split.py`` and the datasets refuse it); the
next run removes its patches and converts it again.
"""
import argparse
import os.path as osp
from typing import Optional, Sequence


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The arguments, checked as far as no file needs to be read."""
    parser = argparse.ArgumentParser(
        prog='geotiff.py', description=__doc__.split('\n')[0])
    parser.add_argument('image', help='image raster (any band count)')
    parser.add_argument('label', help='label raster on the same grid')
    parser.add_argument('out_dir', help='dataset root to write into')
    parser.add_argument('--split', default='train')
    parser.add_argument('--patch-size', type=int, default=256)
    parser.add_argument('--stride', type=int, default=None,
                        help='defaults to the patch size')
    parser.add_argument('--region', type=int, nargs=4,
                        metavar=('COL', 'ROW', 'WIDTH', 'HEIGHT'),
                        help='cut patches inside this pixel box only')
    parser.add_argument('--min-valid', type=float, default=0.5,
                        help='minimum fraction of labelled pixels')
    parser.add_argument('--class-table',
                        help='name,index,r,g,b[,value] CSV, copied to '
                        'OUT_DIR/classes.csv; its value column is the '
                        'label map')
    parser.add_argument('--num-classes', type=int,
                        help='the class count, without a class table')
    parser.add_argument('--label-map', nargs='+', metavar='RAW=INDEX',
                        help='raw label value -> class index')
    parser.add_argument('--whole', action='store_true',
                        help='write the region (or the raster) uncut, as '
                        'one tile: a test split for whole-tile evaluation')
    parser.add_argument('--unmapped', choices=['error', 'ignore'],
                        default='error',
                        help='label values that are not classes: stop '
                        '(default) or ignore and count them')
    parser.add_argument('--ignore-255', action='store_true',
                        help='255 in a label without a label map means "no '
                        'label" (else a 0/255 mask is an error)')
    parser.add_argument('--overwrite', action='store_true',
                        help='convert a finished scene again (its old '
                        'patches removed), e.g. with other options')
    args = parser.parse_args(argv)
    check_cutting(parser, args)
    if args.num_classes is not None and args.num_classes < 1:
        parser.error(f'--num-classes must be positive, got '
                     f'{args.num_classes}')
    if args.class_table is None and args.num_classes is None and \
            not args.label_map:
        parser.error('the classes are unknown: give --class-table, '
                     '--num-classes or --label-map, so that every label '
                     'value is checked before anything is written')
    for path in (args.image, args.label, args.class_table):
        if path is not None and not osp.isfile(path):
            parser.error(f'{path}: no such file')
    return args


def check_cutting(parser: argparse.ArgumentParser,
                  args: argparse.Namespace) -> None:
    """``--patch-size`` and ``--stride`` positive, ``--min-valid`` a
    fraction, ``--region`` a box (where the tool has them): else a usage
    error (exit 2) naming the argument."""
    for name in ('patch_size', 'stride'):
        value = getattr(args, name, None)
        if value is not None and value <= 0:
            parser.error(f'--{name.replace("_", "-")} must be positive, '
                         f'got {value}')
    min_valid = getattr(args, 'min_valid', None)
    if min_valid is not None and not 0 <= min_valid <= 1:
        parser.error(f'--min-valid must be in [0, 1], got {min_valid}')
    region = getattr(args, 'region', None)
    if region is not None:
        col, row, width, height = region
        if col < 0 or row < 0 or width <= 0 or height <= 0:
            parser.error(f'--region {col} {row} {width} {height}: COL and '
                         'ROW must be >= 0, WIDTH and HEIGHT positive')


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    from false_plugin.conversion.geotiff import convert_geotiff
    from false_plugin.datasets.raster_io import RasterReadError
    try:
        convert_geotiff(
            args.image, args.label, args.out_dir, split=args.split,
            patch_size=args.patch_size, stride=args.stride,
            region=args.region, min_valid=args.min_valid,
            class_table=args.class_table, num_classes=args.num_classes,
            label_map=args.label_map, whole=args.whole,
            unmapped=args.unmapped, ignore_255=args.ignore_255,
            overwrite=args.overwrite,
            log=lambda line: print(line, flush=True))
    except (ValueError, RasterReadError) as err:
        raise SystemExit(f'error: {err}')


if __name__ == '__main__':
    main()
