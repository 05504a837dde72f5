"""Cut a GeoTIFF and its label raster into georeferenced patches.

    python tools/dataset_converters/geotiff.py IMAGE LABEL OUT_DIR \
        [--split train] [--patch-size 256] [--stride 256] \
        [--region COL ROW WIDTH HEIGHT] [--min-valid 0.5] \
        [--class-table classes.csv]

Writes ``OUT_DIR/img_dir/SPLIT/{stem}_{row}_{col}.tif`` (the image's bands,
dtype and nodata, with the patch's own geotransform),
``OUT_DIR/ann_dir/SPLIT/{stem}_{row}_{col}.tif`` (uint8 index labels, 255
where the label or the image is nodata) and ``OUT_DIR/manifest_SPLIT.csv``
(patch, source image, window). Patches whose valid fraction is below
``--min-valid`` are not written (and counted in the summary). Re-running
skips finished patches; every patch is written to a temporary name and
renamed, so an interrupted run never leaves a half-written patch.
"""
import argparse
import csv
import os
import os.path as osp
import shutil
import sys

import numpy as np
import rasterio
from rasterio.windows import Window

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
from false_plugin.datasets import read_raster  # noqa: E402
from false_plugin.datasets.patching import (  # noqa: E402
    windows, write_geotiff_atomically)
from false_plugin.datasets.raster_io import raster_size  # noqa: E402

IGNORE_INDEX = 255


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('image', help='image raster (any band count)')
    parser.add_argument('label', help='index label raster on the same grid')
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
    parser.add_argument('--class-table', help='copied to OUT_DIR/classes.csv')
    return parser.parse_args()


def convert(args: argparse.Namespace) -> dict:
    stride = args.stride or args.patch_size
    img_w, img_h, _ = raster_size(args.image)
    lab_w, lab_h, _ = raster_size(args.label)
    if (img_w, img_h) != (lab_w, lab_h):
        raise ValueError(f'{args.label}: label is {lab_w}x{lab_h}, image '
                         f'{args.image} is {img_w}x{img_h}')
    img_dir = osp.join(args.out_dir, 'img_dir', args.split)
    ann_dir = osp.join(args.out_dir, 'ann_dir', args.split)
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(ann_dir, exist_ok=True)
    if args.class_table:
        shutil.copy(args.class_table, osp.join(args.out_dir, 'classes.csv'))

    with rasterio.open(args.image) as src:
        img_profile, transform = src.profile, src.transform
    stem = osp.splitext(osp.basename(args.image))[0]
    size = args.patch_size
    counts = dict(written=0, skipped_existing=0, skipped_invalid=0)
    manifest = []
    for col, row in windows(img_w, img_h, size, stride, args.region):
        name = f'{stem}_{row}_{col}.tif'
        window = (col, row, size, size)
        img_path, ann_path = osp.join(img_dir, name), osp.join(ann_dir, name)
        if osp.exists(img_path) and osp.exists(ann_path):
            counts['skipped_existing'] += 1
            manifest.append((name, args.image, *window))
            continue
        img, img_nodata = read_raster(args.image, window=window,
                                      dtype=img_profile['dtype'])
        label, lab_nodata = read_raster(args.label, [1], window,
                                        dtype='int64')
        label = label[..., 0]
        invalid = label == IGNORE_INDEX
        for mask in (img_nodata, lab_nodata):
            if mask is not None:
                invalid |= mask
        if (1 - invalid.mean()) < args.min_valid:
            counts['skipped_invalid'] += 1
            continue
        if label[~invalid].max(initial=0) >= IGNORE_INDEX or label.min() < 0:
            raise ValueError(f'{args.label}: window {window} holds values '
                             'outside 0..254; labels must be class indices')
        label[invalid] = IGNORE_INDEX
        geo = dict(transform=rasterio.windows.transform(
            Window(*window), transform), crs=img_profile.get('crs'))
        write_geotiff_atomically(img_path, img,
                                 nodata=img_profile.get('nodata'), **geo)
        write_geotiff_atomically(ann_path,
                                 label[..., None].astype(np.uint8),
                                 nodata=IGNORE_INDEX, **geo)
        counts['written'] += 1
        manifest.append((name, args.image, *window))

    with open(osp.join(args.out_dir, f'manifest_{args.split}.csv'), 'w',
              newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['patch', 'source', 'col', 'row', 'width', 'height'])
        writer.writerows(manifest)
    return counts


def main() -> None:
    args = parse_args()
    counts = convert(args)
    print(f'{args.split}: {counts["written"]} patches written, '
          f'{counts["skipped_existing"]} already done, '
          f'{counts["skipped_invalid"]} with less than '
          f'{args.min_valid:.0%} valid pixels not written')


if __name__ == '__main__':
    main()
