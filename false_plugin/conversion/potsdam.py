"""ISPRS Potsdam (2D semantic labelling) cut into patches."""
import glob
import os.path as osp
import re
from typing import Callable, Dict, Optional

from ..datasets.color_labels import rgb_to_index
from ..datasets.raster_io import read_raster
from ..datasets.rs_seg import (POTSDAM_TEST_TILES, POTSDAM_TRAIN_TILES,
                               PotsdamRSDataset)
from .patching import (TileConverter, TileJob, geotiff_writer, ignore_causes,
                       in_memory_tile, png_writer)

#: Band count of each ISPRS image type.
BANDS = dict(RGB=3, IRRG=3, RGBIR=4)


def find_tiles(root: str, suffix: str) -> Dict[str, str]:
    """Tile id (``'2_10'``) -> path of ``top_potsdam_{id}_{suffix}.tif``."""
    pattern = re.compile(rf'top_potsdam_(\d+_\d+)_{suffix}\.tif$')
    found = {}
    for path in glob.glob(osp.join(glob.escape(root), '**', '*.tif'),
                          recursive=True):
        match = pattern.search(osp.basename(path))
        if match:
            found[match.group(1)] = path
    return found


def convert_potsdam(isprs_root: str,
                    out_dir: str = 'data/potsdam',
                    image_type: str = 'RGB',
                    label_type: str = 'label',
                    patch_size: int = 256,
                    stride: int = 240,
                    binarize: bool = False,
                    whole_test_tiles: bool = False,
                    overwrite: bool = False,
                    log: Optional[Callable[[str], None]] = print) -> None:
    """Cut the 24 training and 14 test tiles (and, with
    ``whole_test_tiles``, the test tiles uncut, split ``test_tiles``).

    Raises:
        ValueError: If tiles are missing (all named) or a tile cannot be
            converted (its file named).
    """
    images = find_tiles(isprs_root, image_type)
    labels = find_tiles(isprs_root, label_type)
    palette = [tuple(c) for c in PotsdamRSDataset.METAINFO['palette']]
    multiband = image_type == 'RGBIR'
    suffix = '.tif' if multiband else '.png'
    writer = geotiff_writer() if multiband else png_writer
    options = dict(image_type=image_type, label_type=label_type,
                   binarize=binarize)
    converter = TileConverter(out_dir, patch_size, stride, suffix, writer,
                              options=options, overwrite=overwrite)
    jobs = [(converter, 'train', POTSDAM_TRAIN_TILES),
            (converter, 'test', POTSDAM_TEST_TILES)]
    if whole_test_tiles:
        jobs.append((TileConverter(out_dir, None, None, suffix, writer,
                                   options=options, overwrite=overwrite),
                     'test_tiles', POTSDAM_TEST_TILES))
    for _, split, tiles in jobs:
        missing = [t for t in tiles if t not in images or t not in labels]
        if missing:
            raise ValueError(
                f'{isprs_root}: {split} tiles without a {image_type} image '
                f'or a {label_type} file: {", ".join(missing)}')

    def open_tile(tile):
        image, image_nodata = read_raster(images[tile], dtype='uint8')
        if image.shape[2] != BANDS[image_type]:
            raise ValueError(
                f'{images[tile]}: {image.shape[2]} bands, {image_type} has '
                f'{BANDS[image_type]}')
        rgb, _ = read_raster(labels[tile], [1, 2, 3], dtype='uint8')
        label = rgb_to_index(rgb, palette, [(0, 0, 0)], labels[tile],
                             binarize=binarize)
        return in_memory_tile(image, label,
                              ignore_causes(label, image_nodata),
                              labels[tile])

    for conv, split, tiles in jobs:
        summary = conv.convert_tiles(split, [
            TileJob(f'top_potsdam_{tile}', images[tile],
                    lambda tile=tile: open_tile(tile), label=labels[tile])
            for tile in tiles], log)
        if log is not None:
            log(f'{split}: {conv.manifest_size(split)} patches')
            log(summary.format(split, PotsdamRSDataset.METAINFO['classes']))
