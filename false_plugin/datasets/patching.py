"""Cutting tiles into patches: resumable, atomic, with a manifest."""
import csv
import os
import os.path as osp
from typing import Callable, Iterator, Optional, Sequence, Tuple

import cv2
import numpy as np
import rasterio


def windows(width: int,
            height: int,
            patch: int,
            stride: int,
            region: Optional[Sequence[int]] = None
            ) -> Iterator[Tuple[int, int]]:
    """Top-left ``(col, row)`` of every full patch of a raster.

    Args:
        width (int): Raster width.
        height (int): Raster height.
        patch (int): Patch size.
        stride (int): Step between patches.
        region (Sequence[int], optional): ``(col, row, width, height)``:
            only patches inside this box.
    """
    col0, row0, w, h = region or (0, 0, width, height)
    if col0 < 0 or row0 < 0 or col0 + w > width or row0 + h > height:
        raise ValueError(f'region {tuple(region)} is outside the '
                         f'{width}x{height} raster')
    if w < patch or h < patch:
        raise ValueError(f'a {patch}px patch does not fit in {w}x{h}px')
    for row in range(row0, row0 + h - patch + 1, stride):
        for col in range(col0, col0 + w - patch + 1, stride):
            yield col, row


def write_geotiff_atomically(path: str, array: np.ndarray,
                             **profile) -> None:
    """Write ``(H, W, C)`` as a GeoTIFF under a temporary name, then rename.

    Args:
        path (str): The output file.
        array (np.ndarray): The patch.
        **profile: Extra rasterio profile keys (``transform``, ``crs``,
            ``nodata``...).
    """
    tmp = path + '.part.tif'
    with rasterio.open(tmp, 'w', driver='GTiff', width=array.shape[1],
                       height=array.shape[0], count=array.shape[2],
                       dtype=array.dtype, compress='deflate',
                       **profile) as dst:
        dst.write(array.transpose(2, 0, 1))
    os.replace(tmp, path)


def write_png_atomically(path: str, image: np.ndarray) -> None:
    """Write with cv2 to a temporary name, then rename (never half-written).

    ``image`` is RGB (or single-channel); cv2 wants BGR.
    """
    tmp = path + '.part' + osp.splitext(path)[1]
    if image.ndim == 3:
        image = image[..., ::-1]
    if not cv2.imwrite(tmp, image):
        raise IOError(f'{path}: could not be written')
    os.replace(tmp, path)


class TileConverter:
    """Cut (image, label) tiles into patches, one tile at a time.

    A tile whose ``.done/<split>/<tile>.csv`` marker exists is skipped;
    the marker (its manifest rows) is written only after all its patches,
    and every patch is written under a temporary name and renamed, so an
    interrupted run never leaves a half-written patch and re-running
    finishes the job. ``manifest_<split>.csv`` is rebuilt from the markers.

    Args:
        out_dir (str): Dataset root (``img_dir/<split>``, ``ann_dir/<split>``).
        patch (int): Patch size.
        stride (int): Stride between patches.
    """

    def __init__(self, out_dir: str, patch: int, stride: int) -> None:
        self.out_dir = out_dir
        self.patch = patch
        self.stride = stride

    def convert(self, split: str, tile: str, source: str,
                load: Callable[[], Tuple[np.ndarray, np.ndarray]],
                img_suffix: str,
                write_image: Callable[[str, np.ndarray], None]) -> bool:
        """Convert one tile; returns False if it was already done.

        Args:
            split (str): ``train`` or ``test``.
            tile (str): Tile name (the patch stems start with it).
            source (str): The source image path, for the manifest.
            load: Returns the image ``(H, W, C)`` and index label ``(H, W)``.
            img_suffix (str): Suffix of the image patches.
            write_image: Writes one image patch atomically.
        """
        done = osp.join(self.out_dir, '.done', split, f'{tile}.csv')
        if osp.exists(done):
            return False
        img_dir = osp.join(self.out_dir, 'img_dir', split)
        ann_dir = osp.join(self.out_dir, 'ann_dir', split)
        for folder in (img_dir, ann_dir, osp.dirname(done)):
            os.makedirs(folder, exist_ok=True)
        image, label = load()
        if image.shape[:2] != label.shape:
            raise ValueError(f'{source}: image is {image.shape[:2]}, its '
                             f'label is {label.shape}')
        rows = []
        for col, row in windows(label.shape[1], label.shape[0], self.patch,
                                self.stride):
            stem = f'{tile}_{row}_{col}'
            cut = (slice(row, row + self.patch), slice(col,
                                                       col + self.patch))
            write_image(osp.join(img_dir, stem + img_suffix), image[cut])
            write_png_atomically(osp.join(ann_dir, stem + '.png'), label[cut])
            rows.append([stem, source, col, row, self.patch, self.patch])
        tmp = done + '.part'
        with open(tmp, 'w', newline='') as f:
            csv.writer(f).writerows(rows)
        os.replace(tmp, done)
        return True

    def write_manifest(self, split: str, tiles: Sequence[str]) -> int:
        """``manifest_<split>.csv`` from the tiles' markers; patch count."""
        rows = []
        for tile in tiles:
            with open(osp.join(self.out_dir, '.done', split,
                               f'{tile}.csv')) as f:
                rows += list(csv.reader(f))
        with open(osp.join(self.out_dir, f'manifest_{split}.csv'), 'w',
                  newline='') as f:
            writer = csv.writer(f)
            writer.writerow(['patch', 'source', 'col', 'row', 'width',
                             'height'])
            writer.writerows(rows)
        return len(rows)
