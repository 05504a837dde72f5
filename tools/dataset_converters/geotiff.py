"""Cut a GeoTIFF and its label raster into georeferenced patches.

    python tools/dataset_converters/geotiff.py IMAGE LABEL OUT_DIR \
        [--split train] [--patch-size 256] [--stride 256] \
        [--region COL ROW WIDTH HEIGHT] [--min-valid 0.5] \
        [--class-table classes.csv] [--label-map RAW=INDEX ...] \
        [--unmapped error|ignore] [--whole]

Writes ``OUT_DIR/img_dir/SPLIT/{stem}_{row}_{col}.tif`` (the image's bands,
dtype, values and nodata, with the patch's own geotransform),
``OUT_DIR/ann_dir/SPLIT/{stem}_{row}_{col}.tif`` (uint8 class indices, 255
where a pixel is ignored) and ``OUT_DIR/manifest_SPLIT.csv`` (patch, source
image, window), and ends with a summary: pixels per class, pixels ignored by
cause, patches not written and why.

Label values become class indices through a label map: ``--label-map 0=0
255=1`` for a binary 0/255 mask, ``--label-map 10=0 20=1 ...`` for a coded
product, or the ``value`` column of ``--class-table``. Without one they must
be indices 0..254 already. Values that are neither mapped nor 255 (the
ignore value) stop the converter before anything is written, with each
value and its pixel count; ``--unmapped ignore`` ignores and counts them
instead. Pixels are ignored where the image is nodata (declared, NaN or
infinite, or masked), where the label is nodata, where it is 255. Patches
with less than ``--min-valid`` labelled pixels are not written.
``--whole`` writes the region (or the raster) uncut as one tile, named after
the image: a test split for whole-tile evaluation. Re-running
skips a finished conversion (the same options are required); every patch is
written to a temporary name and renamed, so an interrupted run never leaves
a half-written patch.
"""
import argparse
import os
import os.path as osp
import shutil
import sys
from typing import Optional, Sequence

import rasterio

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
from false_plugin.datasets import read_raster  # noqa: E402
from false_plugin.datasets.class_table import read_class_table  # noqa: E402
from false_plugin.datasets.label_values import (  # noqa: E402
    describe_values, raster_value_counts, resolve_label_map, to_indices,
    unmapped_message, unmapped_values)
from false_plugin.datasets.patching import (  # noqa: E402
    TileConverter, geotiff_writer, ignore_causes)
from false_plugin.datasets.raster_io import raster_size  # noqa: E402

IGNORE_INDEX = 255


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
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
    parser.add_argument('--label-map', nargs='+', metavar='RAW=INDEX',
                        help='raw label value -> class index')
    parser.add_argument('--whole', action='store_true',
                        help='write the region (or the raster) uncut, as '
                        'one tile: a test split for whole-tile evaluation')
    parser.add_argument('--unmapped', choices=['error', 'ignore'],
                        default='error',
                        help='label values that are not classes: stop '
                        '(default) or ignore and count them')
    return parser.parse_args(argv)


def label_map_and_classes(args: argparse.Namespace):
    """The label map (or None) and the class names (or None)."""
    table = read_class_table(args.class_table) if args.class_table else None
    try:
        label_map = resolve_label_map(args.label_map,
                                      table.label_map if table else None,
                                      args.class_table)
    except ValueError as err:
        raise SystemExit(str(err))
    return label_map, table.classes if table else None


def check_label_values(args: argparse.Namespace, label_map,
                       num_classes) -> None:
    """Stop before writing anything if label values are not classes; warn
    about a 0/255 mask read without a label map."""
    counts = raster_value_counts(args.label, args.region)
    bad = unmapped_values(counts, label_map, IGNORE_INDEX, num_classes)
    if bad and args.unmapped == 'error':
        raise SystemExit(
            unmapped_message(args.label, bad, label_map, num_classes) +
            '; nothing was written (--unmapped ignore ignores them)')
    if label_map is None and IGNORE_INDEX in counts and set(counts) <= {
            0, 1, IGNORE_INDEX}:
        print(f'WARNING: {args.label}: its values are '
              f'{describe_values(counts)}. 255 is the ignore value, so those '
              'pixels will not be trained on. If 255 is a class (a binary '
              '0/255 mask), map it: --label-map 0=0 255=1', flush=True)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    stride = args.stride or args.patch_size
    img_w, img_h, _ = raster_size(args.image)
    lab_w, lab_h, _ = raster_size(args.label)
    if (img_w, img_h) != (lab_w, lab_h):
        raise SystemExit(f'{args.label}: label is {lab_w}x{lab_h}, image '
                         f'{args.image} is {img_w}x{img_h}')
    label_map, classes = label_map_and_classes(args)
    num_classes = len(classes) if classes else None
    check_label_values(args, label_map, num_classes)
    os.makedirs(args.out_dir, exist_ok=True)
    if args.class_table:
        shutil.copy(args.class_table, osp.join(args.out_dir, 'classes.csv'))

    with rasterio.open(args.image) as src:
        profile, transform = src.profile, src.transform

    def open_tile():

        def read(window):
            image, image_nodata = read_raster(args.image, window=window,
                                              dtype=None)
            raw, label_nodata = read_raster(args.label, [1], window,
                                            dtype=None)
            label, unmapped = to_indices(
                raw[..., 0], label_map, IGNORE_INDEX, num_classes,
                label_nodata, args.unmapped, args.label)
            return image, label, ignore_causes(label, image_nodata,
                                               label_nodata, unmapped)

        return img_w, img_h, read

    converter = TileConverter(
        args.out_dir, None if args.whole else args.patch_size,
        None if args.whole else stride, '.tif',
        geotiff_writer(transform, crs=profile.get('crs'),
                       nodata=profile.get('nodata')),
        ann_suffix='.tif',
        write_label=geotiff_writer(transform, crs=profile.get('crs'),
                                   nodata=IGNORE_INDEX),
        min_valid=args.min_valid,
        options=dict(
            label_map=label_map, unmapped=args.unmapped,
            region=args.region, image=osp.abspath(args.image),
            label=osp.abspath(args.label)))
    stem = osp.splitext(osp.basename(args.image))[0]
    summary = converter.convert(args.split, stem, args.image, open_tile,
                                args.region)
    converter.write_manifest(args.split, [stem])
    print(summary.format(args.split, classes))


if __name__ == '__main__':
    main()
