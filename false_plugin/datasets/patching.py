"""Cutting tiles into patches: resumable, atomic, with a manifest and a
summary of every pixel written or ignored."""
import csv
import json
import os
import os.path as osp
from collections import Counter
from typing import Callable, Iterator, Optional, Sequence, Tuple

import cv2
import numpy as np
import rasterio
from rasterio.windows import Window


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


def geotiff_writer(transform: Optional[rasterio.Affine] = None,
                   **profile) -> Callable:
    """A patch writer for :class:`TileConverter`: GeoTIFF patches carrying
    their own geotransform (the tile's ``transform`` shifted to the window),
    and the tile's ``crs``, ``nodata``... from ``profile``."""

    def write(path: str, array: np.ndarray, window: Sequence[int]) -> None:
        geo = dict(profile)
        if transform is not None:
            geo['transform'] = rasterio.windows.transform(
                Window(*window), transform)
        write_geotiff_atomically(path, array, **geo)

    return write


def png_writer(path: str, array: np.ndarray, window: Sequence[int]) -> None:
    """A patch writer for :class:`TileConverter`: PNG (RGB or index)."""
    write_png_atomically(path, array[..., 0] if array.shape[2] == 1 else array)


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


#: Why a pixel of a written patch is ignored (code = position + 1).
IGNORE_CAUSES = ('image nodata', 'label nodata', 'ignore value', 'unmapped')


def ignore_causes(label: np.ndarray,
                  image_nodata: Optional[np.ndarray] = None,
                  label_nodata: Optional[np.ndarray] = None,
                  unmapped: Optional[np.ndarray] = None,
                  ignore_index: int = 255,
                  no_class: Sequence[np.ndarray] = ()) -> np.ndarray:
    """Per pixel, why it is ignored: 0 if it is not, else the position + 1
    in :data:`IGNORE_CAUSES` (then in ``no_class``) of the first cause that
    applies.

    Args:
        label (np.ndarray): ``(H, W)`` class indices; ``ignore_index`` where
            the source says "no class" (the raw ignore value, a no-label
            colour).
        image_nodata, label_nodata, unmapped (np.ndarray, optional): ``(H,
            W)`` bool masks of the other causes.
        ignore_index (int): Defaults to 255.
        no_class (Sequence[np.ndarray]): ``(H, W)`` bool masks that tell
            the "no class" pixels apart by source (each ignored colour of a
            colour mask): code ``len(IGNORE_CAUSES) + 1 + j`` instead of
            "ignore value"; nodata and unmapped still come first.
    """
    cause = np.zeros(label.shape, np.uint8)
    cause[label == ignore_index] = IGNORE_CAUSES.index('ignore value') + 1
    for code, mask in enumerate(no_class, len(IGNORE_CAUSES) + 1):
        cause[mask] = code
    for name, mask in (('unmapped', unmapped), ('label nodata', label_nodata),
                       ('image nodata', image_nodata)):
        if mask is not None:
            cause[mask] = IGNORE_CAUSES.index(name) + 1
    return cause


class ConversionSummary:
    """What a conversion wrote and set aside, by class, cause and patch.

    ``class_pixels`` counts the pixels written per class index,
    ``ignored`` the pixels of written patches set to the ignore value per
    cause of :data:`IGNORE_CAUSES`, ``patches`` the patches by outcome
    (``written``, ``already done``, or the reason they were not written).
    Overlapping patches count their shared pixels once per patch.

    Args:
        data (dict, optional): A summary's :meth:`to_dict`, to restore.
        causes (Sequence[str]): The causes, code = position + 1; a
            converter with causes of its own (one per ignored colour...)
            appends them to :data:`IGNORE_CAUSES`.
    """

    def __init__(self, data: Optional[dict] = None,
                 causes: Sequence[str] = IGNORE_CAUSES) -> None:
        data = data or {}
        self.causes = tuple(causes)
        self.class_pixels = Counter(
            {int(k): v for k, v in data.get('class_pixels', {}).items()})
        self.ignored = Counter(data.get('ignored', {}))
        self.patches = Counter(data.get('patches', {}))

    def add_patch(self, label: np.ndarray, cause: np.ndarray) -> None:
        """Count one written patch."""
        counts = np.bincount(label[cause == 0].ravel(), minlength=1)
        self.class_pixels.update({
            i: int(c) for i, c in enumerate(counts) if c})
        causes = np.bincount(cause.ravel(), minlength=len(self.causes) + 1)
        self.ignored.update({
            name: int(c) for name, c in zip(self.causes, causes[1:]) if c})
        self.patches['written'] += 1

    def update(self, other: 'ConversionSummary') -> None:
        for mine, theirs in ((self.class_pixels, other.class_pixels),
                             (self.ignored, other.ignored),
                             (self.patches, other.patches)):
            mine.update(theirs)

    def to_dict(self) -> dict:
        return dict(class_pixels={str(k): v for k, v in
                                  sorted(self.class_pixels.items())},
                    ignored=dict(self.ignored), patches=dict(self.patches))

    def format(self, split: str,
               classes: Optional[Sequence[str]] = None) -> str:
        """A few lines for the end of a converter's run."""
        name = (lambda i: f'{i} {classes[i]}' if classes and i < len(classes)
                else str(i))
        total = sum(self.class_pixels.values()) + sum(self.ignored.values())
        share = lambda n: f'{n:,} ({n / max(total, 1):.1%})'  # noqa: E731
        written = self.patches.get('written', 0)
        done = self.patches.get('already done', 0)
        skipped = {k: v for k, v in self.patches.items()
                   if k not in ('written', 'already done')}
        lines = [f'{split}: {written + done} patches '
                 f'({written} written now, {done} already done)'
                 + ''.join(f', {n} not written ({why})'
                           for why, n in sorted(skipped.items()))]
        indices = sorted(set(self.class_pixels) | set(range(len(
            classes or ()))))  # absent classes show as 0
        lines.append('  pixels per class: ' + (', '.join(
            f'{name(i)} {share(self.class_pixels.get(i, 0))}'
            for i in indices) or 'none'))
        lines.append('  pixels ignored: ' + ', '.join(
            f'{cause} {share(self.ignored.get(cause, 0))}'
            for cause in self.causes))
        return '\n'.join(lines)


#: ``read(window) -> (image (H, W, C), label (H, W) uint8, cause (H, W))``.
PatchReader = Callable[[Tuple[int, int, int, int]],
                       Tuple[np.ndarray, np.ndarray, np.ndarray]]


def in_memory_tile(image: np.ndarray, label: np.ndarray, cause: np.ndarray,
                   path: str = '<tile>') -> Tuple[int, int, PatchReader]:
    """Width, height and a :data:`PatchReader` of a tile held in memory
    (what ``open_tile`` of :meth:`TileConverter.convert` returns); ``path``
    (the label file) names the tile in errors."""
    if image.shape[:2] != label.shape:
        raise ValueError(f'{path}: label is {label.shape}, its image is '
                         f'{image.shape[:2]}')

    def read(window):
        col, row, width, height = window
        cut = (slice(row, row + height), slice(col, col + width))
        return image[cut], label[cut], cause[cut]

    return label.shape[1], label.shape[0], read


class TileConverter:
    """Cut (image, label) tiles into patches, one tile at a time.

    Every converter of this package goes through it. A tile whose
    ``.done/<split>/<tile>.json`` marker exists is skipped; the marker (its
    manifest rows, its :class:`ConversionSummary` and the options it was cut
    with) is written only after all its patches, and every patch is written
    under a temporary name and renamed, so an interrupted run never leaves a
    half-written patch and re-running finishes the job. Re-running with
    other options over a finished tile is an error, never a silent mix.
    ``manifest_<split>.csv`` is rebuilt from the markers.

    Args:
        out_dir (str): Dataset root (``img_dir/<split>``, ``ann_dir/<split>``).
        patch (int, optional): Patch size; None writes each tile whole
            (named after the tile), for whole-tile evaluation.
        stride (int, optional): Stride between patches.
        img_suffix (str): Suffix of the image patches.
        write_image: ``write(path, array, window)`` for one image patch
            (:func:`png_writer`, :func:`geotiff_writer`...).
        ann_suffix (str): Suffix of the label patches. Defaults to ``.png``.
        write_label: Writer of one ``(H, W, 1)`` uint8 label patch.
        min_valid (float): Patches with a smaller fraction of labelled
            pixels are not written (and counted). Defaults to 0.
        options (dict, optional): Other options that decide the output
            (label map...), stored in the markers.
        causes (Sequence[str]): Names of the ignore causes the reader's
            cause codes stand for (:class:`ConversionSummary`).
    """

    def __init__(self,
                 out_dir: str,
                 patch: Optional[int],
                 stride: Optional[int],
                 img_suffix: str,
                 write_image: Callable,
                 ann_suffix: str = '.png',
                 write_label: Callable = png_writer,
                 min_valid: float = 0.0,
                 options: Optional[dict] = None,
                 causes: Sequence[str] = IGNORE_CAUSES) -> None:
        self.out_dir = out_dir
        self.causes = tuple(causes)
        self.patch = patch
        self.stride = stride
        self.img_suffix = img_suffix
        self.write_image = write_image
        self.ann_suffix = ann_suffix
        self.write_label = write_label
        self.min_valid = min_valid
        self.options = dict(patch=patch, stride=stride, min_valid=min_valid,
                            **(options or {}))

    def _windows(self, width: int, height: int,
                 region: Optional[Sequence[int]]) -> Iterator[tuple]:
        if self.patch is None:  # the whole tile (or region), uncut
            yield tuple(region or (0, 0, width, height))
            return
        for col, row in windows(width, height, self.patch, self.stride,
                                region):
            yield col, row, self.patch, self.patch

    def _marker(self, split: str, tile: str) -> str:
        return osp.join(self.out_dir, '.done', split, f'{tile}.json')

    def _load_marker(self, split: str, tile: str) -> Optional[dict]:
        path = self._marker(split, tile)
        if not osp.exists(path):
            return None
        with open(path, encoding='utf-8') as f:
            marker = json.load(f)
        if marker['options'] != json.loads(json.dumps(self.options)):
            raise ValueError(
                f'{path}: tile {tile} was converted with {marker["options"]}'
                f', not {self.options}; convert into another folder or '
                f'delete its patches and this marker')
        return marker

    def convert(self, split: str, tile: str, source: str,
                open_tile: Callable[[], Tuple[int, int, PatchReader]],
                region: Optional[Sequence[int]] = None) -> ConversionSummary:
        """Convert one tile (or count it as done); returns its summary.

        Args:
            split (str): ``train``, ``test``...
            tile (str): Tile name (the patch stems start with it).
            source (str): The source image path, for the manifest.
            open_tile: Returns the tile's width, height and a
                :data:`PatchReader`; called only if the tile is not done.
            region (Sequence[int], optional): Cut patches inside this
                ``(col, row, width, height)`` box only.
        """
        marker = self._load_marker(split, tile)
        if marker is not None:
            summary = ConversionSummary(marker['summary'], self.causes)
            summary.patches['already done'] += summary.patches.pop(
                'written', 0)
            return summary
        img_dir = osp.join(self.out_dir, 'img_dir', split)
        ann_dir = osp.join(self.out_dir, 'ann_dir', split)
        done = self._marker(split, tile)
        for folder in (img_dir, ann_dir, osp.dirname(done)):
            os.makedirs(folder, exist_ok=True)
        width, height, read = open_tile()
        summary = ConversionSummary(causes=self.causes)
        rows = []
        for window in self._windows(width, height, region):
            image, label, cause = read(window)
            if (cause == 0).mean() < self.min_valid:
                summary.patches[
                    f'under {self.min_valid:.0%} labelled pixels'] += 1
                continue
            col, row = window[:2]
            stem = tile if self.patch is None else f'{tile}_{row}_{col}'
            label = np.where(cause > 0, 255, label).astype(np.uint8)
            self.write_image(osp.join(img_dir, stem + self.img_suffix),
                             image, window)
            self.write_label(osp.join(ann_dir, stem + self.ann_suffix),
                             label[..., None], window)
            summary.add_patch(label, cause)
            rows.append([stem, source, *window])
        tmp = done + '.part'
        with open(tmp, 'w', encoding='utf-8') as f:
            json.dump(dict(rows=rows, summary=summary.to_dict(),
                           options=self.options), f)
        os.replace(tmp, done)
        return summary

    def write_manifest(self, split: str, tiles: Sequence[str]) -> int:
        """``manifest_<split>.csv`` from the tiles' markers; patch count."""
        rows = []
        for tile in tiles:
            rows += self._load_marker(split, tile)['rows']
        with open(osp.join(self.out_dir, f'manifest_{split}.csv'), 'w',
                  newline='') as f:
            writer = csv.writer(f)
            writer.writerow(['patch', 'source', 'col', 'row', 'width',
                             'height'])
            writer.writerows(rows)
        return len(rows)
