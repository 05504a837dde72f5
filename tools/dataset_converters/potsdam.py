"""Convert ISPRS Potsdam (2D semantic labelling) to 256 px patches.

    python tools/dataset_converters/potsdam.py ISPRS_ROOT [-o data/potsdam]
        [--image-type RGB|RGBIR|IRRG] [--label-type label|label_noBoundary]
        [--patch-size 256] [--stride 240] [--whole-test-tiles]

ISPRS_ROOT is searched recursively for ``top_potsdam_{r}_{c}_{TYPE}.tif``
and ``top_potsdam_{r}_{c}_{label|label_noBoundary}.tif`` (the unzipped
``2_Ortho_RGB``, ``4_Ortho_RGBIR``, ``3_Ortho_IRRG``, ``5_Labels_all``...
folders). The 24 official training tiles and 14 test tiles are cut into
patches: with the defaults (256 px, stride 240) a 6000 px tile gives
24 x 24 = 576 patches, 13,824 for training and 8,064 for testing (the FALSE
group's protocol). RGB and IRRG patches are PNG, RGBIR patches 4-band
GeoTIFF; labels are index PNGs (impervious surface 0, building 1, low
vegetation 2, tree 3, car 4, clutter 5; black = 255, ignored).
``--whole-test-tiles`` also writes the test tiles uncut (split
``test_tiles``), for the whole-tile protocol (sliding-window inference,
``*_potsdam-1pct-wholetile.py``). Re-running skips finished tiles.
"""
import argparse
import glob
import os.path as osp
import re
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
from false_plugin.datasets import PotsdamRSDataset, read_raster  # noqa: E402
from false_plugin.datasets.color_labels import rgb_to_index  # noqa: E402
from false_plugin.datasets.patching import (  # noqa: E402
    ConversionSummary, TileConverter, geotiff_writer, ignore_causes,
    in_memory_tile, png_writer)

TRAIN_TILES = [
    '2_10', '2_11', '2_12', '3_10', '3_11', '3_12', '4_10', '4_11', '4_12',
    '5_10', '5_11', '5_12', '6_7', '6_8', '6_9', '6_10', '6_11', '6_12',
    '7_7', '7_8', '7_9', '7_10', '7_11', '7_12'
]
TEST_TILES = [
    '2_13', '2_14', '3_13', '3_14', '4_13', '4_14', '4_15', '5_13', '5_14',
    '5_15', '6_13', '6_14', '6_15', '7_13'
]
BANDS = dict(RGB=3, IRRG=3, RGBIR=4)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('isprs_root')
    parser.add_argument('-o', '--out-dir', default='data/potsdam')
    parser.add_argument('--image-type', choices=sorted(BANDS), default='RGB')
    parser.add_argument('--label-type', default='label',
                        choices=['label', 'label_noBoundary'])
    parser.add_argument('--patch-size', type=int, default=256)
    parser.add_argument('--stride', type=int, default=240)
    parser.add_argument('--binarize', action='store_true',
                        help='threshold label colours at 128 first')
    parser.add_argument('--whole-test-tiles', action='store_true',
                        help='also write the 14 test tiles whole (split '
                        'test_tiles), for whole-tile evaluation')
    return parser.parse_args()


def find_tiles(root: str, suffix: str) -> dict:
    """Tile id (``'2_10'``) -> path of ``top_potsdam_{id}_{suffix}.tif``."""
    pattern = re.compile(rf'top_potsdam_(\d+_\d+)_{suffix}\.tif$')
    found = {}
    for path in glob.glob(osp.join(root, '**', '*.tif'), recursive=True):
        match = pattern.search(osp.basename(path))
        if match:
            found[match.group(1)] = path
    return found


def main() -> None:
    args = parse_args()
    images = find_tiles(args.isprs_root, args.image_type)
    labels = find_tiles(args.isprs_root, args.label_type)
    palette = [tuple(c) for c in PotsdamRSDataset.METAINFO['palette']]
    multiband = args.image_type == 'RGBIR'
    suffix = '.tif' if multiband else '.png'
    writer = geotiff_writer() if multiband else png_writer
    options = dict(image_type=args.image_type, label_type=args.label_type,
                   binarize=args.binarize)
    converter = TileConverter(args.out_dir, args.patch_size, args.stride,
                              suffix, writer, options=options)
    jobs = [(converter, 'train', TRAIN_TILES), (converter, 'test', TEST_TILES)]
    if args.whole_test_tiles:
        jobs.append((TileConverter(args.out_dir, None, None, suffix, writer,
                                   options=options), 'test_tiles',
                     TEST_TILES))

    def open_tile(tile):
        image, image_nodata = read_raster(images[tile], dtype='uint8')
        if image.shape[2] != BANDS[args.image_type]:
            raise ValueError(
                f'{images[tile]}: {image.shape[2]} bands, '
                f'{args.image_type} has {BANDS[args.image_type]}')
        rgb, _ = read_raster(labels[tile], [1, 2, 3], dtype='uint8')
        label = rgb_to_index(rgb, palette, [(0, 0, 0)], labels[tile],
                             binarize=args.binarize)
        return in_memory_tile(image, label,
                              ignore_causes(label, image_nodata),
                              labels[tile])

    for conv, split, tiles in jobs:
        missing = [t for t in tiles if t not in images or t not in labels]
        if missing:
            raise SystemExit(
                f'{args.isprs_root}: {split} tiles without a '
                f'{args.image_type} image or a {args.label_type} file: '
                f'{", ".join(missing)}')
        summary = ConversionSummary()
        for i, tile in enumerate(tiles, 1):
            name = f'top_potsdam_{tile}'
            tile_summary = conv.convert(split, name, images[tile],
                                        lambda tile=tile: open_tile(tile))
            summary.update(tile_summary)
            done = tile_summary.patches.get('already done')
            print(f'[{split} {i}/{len(tiles)}] {name}: '
                  f'{"already done" if done else "converted"}', flush=True)
        count = conv.write_manifest(split, [f'top_potsdam_{t}'
                                            for t in tiles])
        print(f'{split}: {count} patches')
        print(summary.format(split, PotsdamRSDataset.METAINFO['classes']))

if __name__ == '__main__':
    main()
