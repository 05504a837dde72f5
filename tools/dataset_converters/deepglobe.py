"""Convert DeepGlobe Land Cover (2448 px ``{id}_sat.jpg``/``{id}_mask.png``)
to patches.

    python tools/dataset_converters/deepglobe.py DEEPGLOBE_TRAIN_DIR
        [-o data/deepglobe] [--patch-size 256] [--stride 256]
        [--test-fraction 0.2] [--seed 0] [--whole-test-tiles]

Only the released training folder has masks, so its images are split into
train and test by image (``--test-fraction``, seeded; the ids of each split
are written to ``splits/{train,test}_images.txt``). Masks are binarised at 128
per channel (the released PNGs are not exactly 0/255) and mapped to urban 0,
agriculture 1, rangeland 2, forest 3, water 4, barren 5, unknown (black) 255.
Image patches are JPEG (quality 95), like the source; labels index PNGs.
``--whole-test-tiles`` also writes the test images uncut (split
``test_tiles``) for the whole-tile protocol. Re-running skips finished
images.
"""
import argparse
import glob
import os
import os.path as osp
import random
import sys

import cv2
import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
from false_plugin.datasets import (DeepGlobeLandCoverDataset,  # noqa: E402
                                   read_raster)
from false_plugin.datasets.color_labels import rgb_to_index  # noqa: E402
from false_plugin.datasets.patching import (  # noqa: E402
    ConversionSummary, TileConverter, ignore_causes, in_memory_tile)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('train_dir', help='folder of *_sat.jpg / *_mask.png')
    parser.add_argument('-o', '--out-dir', default='data/deepglobe')
    parser.add_argument('--patch-size', type=int, default=256)
    parser.add_argument('--stride', type=int, default=256)
    parser.add_argument('--test-fraction', type=float, default=0.2)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--whole-test-tiles', action='store_true',
                        help='also write the test images whole (split '
                        'test_tiles), for whole-tile evaluation')
    return parser.parse_args()


def write_jpeg_atomically(path: str, image: np.ndarray, window=None) -> None:
    tmp = path + '.part.jpg'
    if not cv2.imwrite(tmp, image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95]):
        raise IOError(f'{path}: could not be written')
    os.replace(tmp, path)


def main() -> None:
    args = parse_args()
    ids = sorted(
        osp.basename(p)[:-len('_sat.jpg')]
        for p in glob.glob(osp.join(args.train_dir, '*_sat.jpg')))
    if not ids:
        raise SystemExit(f'{args.train_dir}: no *_sat.jpg images')
    missing = [i for i in ids
               if not osp.exists(osp.join(args.train_dir, f'{i}_mask.png'))]
    if missing:
        raise SystemExit(f'{args.train_dir}: no mask for {missing[:5]}')
    test_ids = set(random.Random(args.seed).sample(
        ids, round(args.test_fraction * len(ids))))
    splits = dict(train=[i for i in ids if i not in test_ids],
                  test=sorted(test_ids))
    os.makedirs(osp.join(args.out_dir, 'splits'), exist_ok=True)
    palette = [tuple(c) for c in DeepGlobeLandCoverDataset.METAINFO['palette']]
    classes = DeepGlobeLandCoverDataset.METAINFO['classes']
    converter = TileConverter(args.out_dir, args.patch_size, args.stride,
                              '.jpg', write_jpeg_atomically)
    jobs = [(converter, split, ids) for split, ids in splits.items()]
    if args.whole_test_tiles:
        jobs.append((TileConverter(args.out_dir, None, None, '.jpg',
                                   write_jpeg_atomically), 'test_tiles',
                     splits['test']))
    for split, image_ids in splits.items():
        with open(osp.join(args.out_dir, 'splits', f'{split}_images.txt'),
                  'w') as f:
            f.write('\n'.join(image_ids) + '\n')
    for converter, split, image_ids in jobs:
        summary = ConversionSummary()
        for n, image_id in enumerate(image_ids, 1):
            sat = osp.join(args.train_dir, f'{image_id}_sat.jpg')
            mask = osp.join(args.train_dir, f'{image_id}_mask.png')

            def open_tile(sat=sat, mask=mask):
                image, _ = read_raster(sat, dtype='uint8')
                rgb, _ = read_raster(mask, [1, 2, 3], dtype='uint8')
                label = rgb_to_index(rgb, palette, [(0, 0, 0)], mask,
                                     binarize=True)
                return in_memory_tile(image, label, ignore_causes(label),
                                      mask)

            tile_summary = converter.convert(split, image_id, sat, open_tile)
            summary.update(tile_summary)
            done = tile_summary.patches.get('already done')
            print(f'[{split} {n}/{len(image_ids)}] {image_id}: '
                  f'{"already done" if done else "converted"}', flush=True)
        print(f'{split}: {converter.write_manifest(split, image_ids)} '
              'patches')
        print(summary.format(split, classes))


if __name__ == '__main__':
    main()
