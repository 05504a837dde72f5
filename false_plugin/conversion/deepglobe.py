"""DeepGlobe Land Cover (``{id}_sat.jpg`` / ``{id}_mask.png``) cut into
patches, split into train and test by image."""
import glob
import os
import os.path as osp
import random
from typing import Callable, Optional

from ..datasets.color_labels import rgb_to_index
from ..datasets.raster_io import read_raster
from ..datasets.rs_seg import DeepGlobeLandCoverDataset
from ..fileio import write_text_atomically
from .patching import (TileConverter, TileJob, ignore_causes,
                       in_memory_tile, jpeg_writer)


def convert_deepglobe(train_dir: str,
                      out_dir: str = 'data/deepglobe',
                      patch_size: int = 256,
                      stride: int = 256,
                      test_fraction: float = 0.2,
                      seed: int = 0,
                      whole_test_tiles: bool = False,
                      overwrite: bool = False,
                      log: Optional[Callable[[str], None]] = print) -> None:
    """Split the released training images into train and test (seeded, ids
    in ``splits/{train,test}_images.txt``) and cut them.

    Raises:
        ValueError: If the folder has no image, or images without a mask
            (named), or a mask cannot be converted (its file named).
    """
    ids = sorted(
        osp.basename(p)[:-len('_sat.jpg')]
        for p in glob.glob(osp.join(glob.escape(train_dir), '*_sat.jpg')))
    if not ids:
        raise ValueError(f'{train_dir}: no *_sat.jpg images')
    missing = [i for i in ids
               if not osp.exists(osp.join(train_dir, f'{i}_mask.png'))]
    if missing:
        raise ValueError(f'{train_dir}: no mask for {missing[:5]}')
    test_ids = set(random.Random(seed).sample(
        ids, round(test_fraction * len(ids))))
    splits = dict(train=[i for i in ids if i not in test_ids],
                  test=sorted(test_ids))
    os.makedirs(osp.join(out_dir, 'splits'), exist_ok=True)
    palette = [tuple(c) for c in DeepGlobeLandCoverDataset.METAINFO['palette']]
    classes = DeepGlobeLandCoverDataset.METAINFO['classes']
    converter = TileConverter(out_dir, patch_size, stride, '.jpg',
                              jpeg_writer, overwrite=overwrite)
    jobs = [(converter, split, image_ids)
            for split, image_ids in splits.items()]
    if whole_test_tiles:
        jobs.append((TileConverter(out_dir, None, None, '.jpg',
                                   jpeg_writer,
                                   overwrite=overwrite), 'test_tiles',
                     splits['test']))
    for split, image_ids in splits.items():
        write_text_atomically(
            osp.join(out_dir, 'splits', f'{split}_images.txt'),
            '\n'.join(image_ids) + '\n')

    def open_tile(sat, mask):
        image, _ = read_raster(sat, dtype='uint8')
        rgb, _ = read_raster(mask, [1, 2, 3], dtype='uint8')
        label = rgb_to_index(rgb, palette, [(0, 0, 0)], mask, binarize=True)
        return in_memory_tile(image, label, ignore_causes(label), mask)

    for conv, split, image_ids in jobs:
        tiles = []
        for image_id in image_ids:
            sat = osp.join(train_dir, f'{image_id}_sat.jpg')
            mask = osp.join(train_dir, f'{image_id}_mask.png')
            tiles.append(TileJob(
                image_id, sat, lambda sat=sat, mask=mask: open_tile(sat, mask),
                label=mask))
        summary = conv.convert_tiles(split, tiles, log)
        if log is not None:
            log(f'{split}: {conv.manifest_size(split)} patches')
            log(summary.format(split, classes))
