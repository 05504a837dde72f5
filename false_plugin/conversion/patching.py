"""Cutting tiles into patches: resumable, atomic, with a manifest and a
summary of every pixel written or ignored."""
import csv
import glob
import json
import os
import os.path as osp
import time
import warnings
from collections import Counter
from typing import (Callable, Dict, Iterator, List, NamedTuple, Optional,
                    Sequence, Tuple)

import cv2
import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.windows import Window

from ..datasets.label_values import IGNORE_INDEX
from ..datasets.raster_io import RasterReadError, gdal_reason
from ..fileio import PART, atomic_path, is_temporary, write_text_atomically


#: Seconds between two writes of a split's manifest in
#: :meth:`TileConverter.convert_tiles`.
MANIFEST_INTERVAL_S = 10.0


def check_region(width: int, height: int, patch: int,
                 region: Optional[Sequence[int]] = None
                 ) -> Tuple[int, int, int, int]:
    """``region`` (the whole raster if None) as ``(col, row, width,
    height)``, checked to lie inside the raster and to hold a patch.

    Raises:
        ValueError: If it does not.
    """
    col0, row0, w, h = region or (0, 0, width, height)
    if col0 < 0 or row0 < 0 or col0 + w > width or row0 + h > height:
        raise ValueError(f'region {tuple(region)} is outside the '
                         f'{width}x{height} raster')
    if w < patch or h < patch:
        raise ValueError(f'a {patch}px patch does not fit in {w}x{h}px')
    return col0, row0, w, h


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
    col0, row0, w, h = check_region(width, height, patch, region)
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
    with atomic_path(path) as tmp, rasterio.open(
            tmp, 'w', driver='GTiff', width=array.shape[1],
            height=array.shape[0], count=array.shape[2], dtype=array.dtype,
            compress='deflate', **profile) as dst:
        dst.write(array.transpose(2, 0, 1))


class Grid(NamedTuple):
    """A raster's pixel grid: size, CRS and geotransform (None where the
    file has none)."""
    width: int
    height: int
    crs: Optional[rasterio.crs.CRS]
    transform: Optional[rasterio.Affine]

    def __str__(self) -> str:
        text = f'{self.width}x{self.height} px'
        if self.crs is not None:
            text += f', {self.crs.to_string()}'
        if self.transform is not None:
            t = self.transform
            text += (f', origin ({t.c:.10g}, {t.f:.10g}), pixel '
                     f'{t.a:.10g} x {t.e:.10g}')
        if self.crs is None and self.transform is None:
            text += ', no georeference'
        return text


def read_grid(path: str) -> Grid:
    """The :class:`Grid` of a raster (headers only).

    Raises:
        RasterReadError: If GDAL cannot open it.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                transform = (None if src.transform.is_identity else
                             src.transform)
                return Grid(src.width, src.height, src.crs, transform)
    except RasterioError as err:
        raise RasterReadError(
            f'{path}: cannot be read by GDAL: {gdal_reason(err)}') from err


def _same_transform(a: rasterio.Affine, b: rasterio.Affine) -> bool:
    """Within a hundredth of a pixel at the origin, 1e-6 of the pixel
    size."""
    size = max(abs(a.a), abs(a.e), abs(a.b), abs(a.d))
    if any(abs(x - y) > 1e-6 * size for x, y in
           ((a.a, b.a), (a.b, b.b), (a.d, b.d), (a.e, b.e))):
        return False
    col, row = ~a @ (b.c, b.f)
    return abs(col) < 0.01 and abs(row) < 0.01


def check_same_grid(image: str, label: str) -> Optional[str]:
    """Check that a label raster lies on its image's pixel grid.

    Size, CRS and geotransform are compared where both files have them;
    a file without georeference (a JPEG, a PNG mask) can only be compared
    by size, and the returned note says so.

    Args:
        image (str): The image raster.
        label (str): Its label raster.

    Returns:
        str | None: None if the grids were compared in full, else what was
        not compared (``'compared by size only: ...'``), for the summary.

    Raises:
        ValueError: If the grids differ; the message names both files and
            both grids.
        RasterReadError: If GDAL cannot open a file.
    """
    img, lab = read_grid(image), read_grid(label)
    mismatch = (img.width, img.height) != (lab.width, lab.height)
    if not mismatch and img.transform is not None and \
            lab.transform is not None:
        mismatch = not _same_transform(img.transform, lab.transform)
    if not mismatch and img.crs is not None and lab.crs is not None:
        mismatch = img.crs != lab.crs
    if mismatch:
        raise ValueError(f'{label}: the label is not on the grid of its '
                         f'image: label {lab}; image {image}: {img}')
    missing = [name for name, grid in (('image', img), ('label', lab))
               if grid.crs is None and grid.transform is None]
    if len(missing) == 2:
        return 'compared by size only (no georeference)'
    if missing:
        return f'compared by size only (the {missing[0]} has no georeference)'
    if img.crs is None or lab.crs is None:
        return 'compared by size and transform (a file has no CRS)'
    return None


def source_signature(paths: Sequence[str]) -> Dict[str, List[int]]:
    """``{absolute path: [size, modification time in ns]}`` of the source
    files of a tile, recorded in its marker: a file changed in place (a
    corrected label raster) makes the tile convert again."""
    signature = {}
    for path in paths:
        stat = os.stat(path)
        signature[osp.abspath(path)] = [stat.st_size, stat.st_mtime_ns]
    return signature


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
    write_image_atomically(path,
                           array[..., 0] if array.shape[2] == 1 else array)


def jpeg_writer(path: str, array: np.ndarray, window: Sequence[int]) -> None:
    """A patch writer for :class:`TileConverter`: RGB JPEG, quality 95."""
    write_image_atomically(path, array, [cv2.IMWRITE_JPEG_QUALITY, 95])


def write_image_atomically(path: str, image: np.ndarray,
                           params: Sequence[int] = ()) -> None:
    """Write with cv2 (the format from the suffix, ``params`` as cv2 takes
    them) to a temporary name, then rename (never half-written).

    ``image`` is RGB (or single-channel); cv2 wants BGR.
    """
    if image.ndim == 3:
        image = image[..., ::-1]
    with atomic_path(path) as tmp:
        if not cv2.imwrite(tmp, image, list(params)):
            raise IOError(f'{path}: could not be written')


#: Why a pixel of a written patch is ignored (code = position + 1).
IGNORE_CAUSES = ('image nodata', 'label nodata', 'ignore value', 'unmapped')


def ignore_causes(label: np.ndarray,
                  image_nodata: Optional[np.ndarray] = None,
                  label_nodata: Optional[np.ndarray] = None,
                  unmapped: Optional[np.ndarray] = None,
                  ignore_index: int = IGNORE_INDEX,
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
    """What a conversion wrote and set aside, by class, cause, patch and
    tile.

    ``class_pixels`` counts the pixels written per class index,
    ``ignored`` the pixels of written patches set to the ignore value per
    cause of :data:`IGNORE_CAUSES`, ``not_written`` the pixels of the
    patches not written (``labelled`` or their cause), ``patches`` the
    patches by outcome (``written``, ``already done``, or the reason they
    were not written) and ``tiles`` the tiles by note (grids compared by
    size only, tiles converted again and why). Overlapping patches count
    their shared pixels once per patch.

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
        self.not_written = Counter(data.get('not_written', {}))
        self.patches = Counter(data.get('patches', {}))
        self.tiles = Counter(data.get('tiles', {}))

    def add_patch(self, label: np.ndarray, cause: np.ndarray) -> None:
        """Count one written patch."""
        counts = np.bincount(label[cause == 0].ravel(), minlength=1)
        self.class_pixels.update({
            i: int(c) for i, c in enumerate(counts) if c})
        self.ignored.update(self._by_cause(cause))
        self.patches['written'] += 1

    def add_skipped(self, cause: np.ndarray, why: str) -> None:
        """Count one patch not written (``why``), its pixels by cause."""
        self.not_written.update(self._by_cause(cause))
        labelled = int((cause == 0).sum())
        if labelled:
            self.not_written['labelled'] += labelled
        self.patches[why] += 1

    def _by_cause(self, cause: np.ndarray) -> Dict[str, int]:
        causes = np.bincount(cause.ravel(), minlength=len(self.causes) + 1)
        return {name: int(c) for name, c in zip(self.causes, causes[1:])
                if c}

    def update(self, other: 'ConversionSummary') -> None:
        for mine, theirs in ((self.class_pixels, other.class_pixels),
                             (self.ignored, other.ignored),
                             (self.not_written, other.not_written),
                             (self.patches, other.patches),
                             (self.tiles, other.tiles)):
            mine.update(theirs)

    def to_dict(self) -> dict:
        return dict(class_pixels={str(k): v for k, v in
                                  sorted(self.class_pixels.items())},
                    ignored=dict(self.ignored),
                    not_written=dict(self.not_written),
                    patches=dict(self.patches), tiles=dict(self.tiles))

    def format(self, split: str,
               classes: Optional[Sequence[str]] = None) -> str:
        """A few lines for the end of a converter's run."""
        name = (lambda i: f'{i} {classes[i]}' if classes and i < len(classes)
                else str(i))

        def share(n, total):
            return f'{n:,} ({n / max(total, 1):.1%})'

        total = sum(self.class_pixels.values()) + sum(self.ignored.values())
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
            f'{name(i)} {share(self.class_pixels.get(i, 0), total)}'
            for i in indices) or 'none'))
        lines.append('  pixels ignored: ' + ', '.join(
            f'{cause} {share(self.ignored.get(cause, 0), total)}'
            for cause in self.causes))
        if skipped:
            left = sum(self.not_written.values())
            lines.append('  pixels of the patches not written: ' + ', '.join(
                f'{cause} {share(self.not_written.get(cause, 0), left)}'
                for cause in ('labelled', ) + self.causes))
        for note, n in sorted(self.tiles.items()):
            lines.append(f'  {n} tile{"s" if n > 1 else ""}: {note}')
        if written + done == 0:
            lines.append(f'WARNING: {split}: no patch was written')
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


class TileJob(NamedTuple):
    """One tile for :meth:`TileConverter.convert_tiles`: the arguments of
    :meth:`TileConverter.convert`, and ``name`` for the log (the tile's
    name if None)."""
    tile: str
    source: str
    open_tile: Callable[[], Tuple[int, int, 'PatchReader']]
    label: Optional[str] = None
    image: Optional[str] = None
    writers: Optional[Tuple[Callable, Callable]] = None
    name: Optional[str] = None


class TileConverter:
    """Cut (image, label) tiles into patches, one tile at a time.

    Every converter of this package goes through it. A tile is **done** when
    its patches, its ``.done/<split>/<tile>.json`` marker (its manifest
    rows, its :class:`ConversionSummary`, the options it was cut with and
    the size and modification time of its source files) and its rows of
    ``manifest_<split>.csv`` are all written; until then a
    ``.done/<split>/<tile>.started`` file lists every file the tile may
    have written. So:

    - a done tile is skipped, unless its source files changed (it is
      converted again) or ``overwrite`` is set;
    - a tile left unfinished (a killed run, a read error) is restarted
      cleanly: the files its ``.started`` file lists are removed first;
      :func:`unfinished_tiles` names such tiles, and the datasets and
      ``make_split.py`` refuse a split that has any;
    - every patch is written under a temporary name and renamed, so no
      half-written patch is ever under a patch's name;
    - re-running with other options over a done tile is an error (the
      message says ``--overwrite``), never a silent mix;
    - ``manifest_<split>.csv`` lists every done tile of the split in the
      dataset root, whichever call converted it. :meth:`convert_tiles`
      rewrites it every :data:`MANIFEST_INTERVAL_S` seconds and at the end
      (also after an error), not after every tile (for DeepGlobe's 803
      tiles that rewrite cost more than the cutting); a tile stays
      ``.started`` until its rows are in the manifest, so a killed run
      redoes the tiles of its last seconds and nothing else.

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
        overwrite (bool): Convert done tiles again (their old patches
            removed). Defaults to False.
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
                 causes: Sequence[str] = IGNORE_CAUSES,
                 overwrite: bool = False) -> None:
        for name, value in (('patch', patch), ('stride', stride)):
            if value is not None and value <= 0:
                raise ValueError(f'{name} must be positive, got {value}')
        if patch is not None and stride is None:
            raise ValueError('a patch size needs a stride')
        if not 0 <= min_valid <= 1:
            raise ValueError(f'min_valid must be in [0, 1], got {min_valid}')
        self.out_dir = out_dir
        self.causes = tuple(causes)
        self.patch = patch
        self.stride = stride
        self.img_suffix = img_suffix
        self.write_image = write_image
        self.ann_suffix = ann_suffix
        self.write_label = write_label
        self.min_valid = min_valid
        self.overwrite = overwrite
        self.options = dict(patch=patch, stride=stride, min_valid=min_valid,
                            **(options or {}))
        self._manifests: Dict[str, Dict[str, list]] = {}
        #: Split -> ``.started`` files of done tiles not yet in the manifest.
        self._unlisted: Dict[str, List[str]] = {}

    def _windows(self, width: int, height: int,
                 region: Optional[Sequence[int]]) -> Iterator[tuple]:
        if self.patch is None:  # the whole tile (or region), uncut
            yield check_region(width, height, 1, region)
            return
        for col, row in windows(width, height, self.patch, self.stride,
                                region):
            yield col, row, self.patch, self.patch

    def _marker(self, split: str, tile: str) -> str:
        return osp.join(self.out_dir, '.done', split, f'{tile}.json')

    def _read_marker(self, split: str, tile: str) -> Optional[dict]:
        path = self._marker(split, tile)
        if not osp.exists(path):
            return None
        with open(path, encoding='utf-8') as f:
            return json.load(f)

    def _files(self, split: str, stems: Sequence[str], img_suffix: str,
               ann_suffix: str) -> List[str]:
        """Patch paths of ``stems``, relative to the dataset root."""
        return [f'{kind}/{split}/{stem}{suffix}' for stem in stems
                for kind, suffix in (('img_dir', img_suffix),
                                     ('ann_dir', ann_suffix))]

    def _remove(self, files: Sequence[str]) -> None:
        """Remove patches (and their temporaries) of an old or unfinished
        conversion of a tile."""
        for rel in files:
            path = osp.join(self.out_dir, rel)
            for found in [path] + glob.glob(glob.escape(path) + PART + '*'):
                if osp.exists(found):
                    os.remove(found)

    def convert(self, split: str, tile: str, source: str,
                open_tile: Callable[[], Tuple[int, int, PatchReader]],
                region: Optional[Sequence[int]] = None,
                label: Optional[str] = None,
                writers: Optional[Tuple[Callable, Callable]] = None,
                image: Optional[str] = None,
                defer_manifest: bool = False) -> ConversionSummary:
        """Convert one tile (or count it as done); returns its summary.

        Args:
            split (str): ``train``, ``test``...
            tile (str): Tile name (the patch stems start with it).
            source (str): The source image path, for the manifest.
            open_tile: Returns the tile's width, height and a
                :data:`PatchReader`; called only if the tile is not done.
            region (Sequence[int], optional): Cut patches inside this
                ``(col, row, width, height)`` box only.
            label (str, optional): The label file: its grid is checked
                against the image's (:func:`check_same_grid`) and its size
                and modification time are recorded with the image's.
            writers (tuple, optional): ``(write_image, write_label)`` of
                this tile, instead of the converter's.
            image (str, optional): The image file, where ``source`` (as
                the manifest lists it) is not its path.
            defer_manifest (bool): Leave the manifest (and the tile's
                ``.started`` file) to the next :meth:`write_manifest`.
                Defaults to False.

        Raises:
            ValueError: If the tile was done with other options (and
                ``overwrite`` is not set), or its label is on another grid.
        """
        image = image or source
        sources = [image] + ([label] if label else [])
        signature = source_signature(sources)
        started = self._marker(split, tile)[:-len('.json')] + '.started'
        marker = self._read_marker(split, tile)
        again = None
        if osp.exists(started):
            again = 'restarted: left unfinished by an earlier run'
        elif marker is not None:
            options = json.loads(json.dumps(self.options))
            if self.overwrite:
                again = 'converted again (--overwrite)'
            elif marker['options'] != options:
                raise ValueError(
                    f'{self._marker(split, tile)}: tile {tile} was converted '
                    f'with {marker["options"]}, not {self.options}; add '
                    '--overwrite to convert it again with these options, or '
                    'convert into another folder')
            elif 'sources' not in marker:
                again = ('converted again: its marker (of an older version) '
                         'does not record its source files')
            elif marker['sources'] != signature:
                again = ('converted again: its source files changed since '
                         'they were converted')
            else:
                summary = ConversionSummary(marker['summary'], self.causes)
                summary.patches['already done'] += summary.patches.pop(
                    'written', 0)
                return summary
        summary = ConversionSummary(causes=self.causes)
        if label is not None:
            note = check_same_grid(image, label)
            if note:
                summary.tiles[note] += 1
        width, height, read = open_tile()
        planned = list(self._windows(width, height, region))
        stems = [tile if self.patch is None else f'{tile}_{w[1]}_{w[0]}'
                 for w in planned]
        old = []
        if osp.exists(started):
            with open(started, encoding='utf-8') as f:
                old = json.load(f)['files']
        if marker is not None:
            old += self._files(split, [r[0] for r in marker['rows']],
                               marker.get('img_suffix', self.img_suffix),
                               marker.get('ann_suffix', self.ann_suffix))
        files = self._files(split, stems, self.img_suffix, self.ann_suffix)
        img_dir = osp.join(self.out_dir, 'img_dir', split)
        ann_dir = osp.join(self.out_dir, 'ann_dir', split)
        done = self._marker(split, tile)
        for folder in (img_dir, ann_dir, osp.dirname(done)):
            os.makedirs(folder, exist_ok=True)
        _write_json(started, dict(files=sorted(set(old + files))))
        if marker is not None:
            os.remove(done)
        self._manifest(split).pop(tile, None)
        self._remove(old)
        write_image, write_label = writers or (self.write_image,
                                               self.write_label)
        rows = []
        for window, stem in zip(planned, stems):
            pixels, label_patch, cause = read(window)
            if (cause == 0).mean() < self.min_valid:
                summary.add_skipped(
                    cause, f'under {self.min_valid:.0%} labelled pixels')
                continue
            label_patch = np.where(cause > 0, IGNORE_INDEX,
                                   label_patch).astype(np.uint8)
            write_image(osp.join(img_dir, stem + self.img_suffix), pixels,
                        window)
            write_label(osp.join(ann_dir, stem + self.ann_suffix),
                        label_patch[..., None], window)
            summary.add_patch(label_patch, cause)
            rows.append([stem, source, *window])
        _write_json(done, dict(rows=rows, summary=summary.to_dict(),
                               options=self.options, sources=signature,
                               img_suffix=self.img_suffix,
                               ann_suffix=self.ann_suffix))
        self._manifest(split)[tile] = rows
        self._unlisted.setdefault(split, []).append(started)
        if not defer_manifest:
            self.write_manifest(split)
        if again:
            summary.tiles[again] += 1
        return summary

    def convert_tiles(self, split: str, tiles: Sequence['TileJob'],
                      log: Optional[Callable[[str], None]] = print
                      ) -> ConversionSummary:
        """Convert the tiles of one split (:meth:`convert` each), then write
        its manifest.

        Args:
            split (str): The split.
            tiles (Sequence[TileJob]): Its tiles.
            log: Called with ``[split i/n] name: converted`` (or ``already
                done``) per tile; None for silence.

        Returns:
            ConversionSummary: The split's pixels, patches and tiles.
        """
        summary = ConversionSummary(causes=self.causes)
        written = time.monotonic()
        try:
            for i, job in enumerate(tiles, 1):
                with warnings.catch_warnings():  # JPEG, PNG: no georeference
                    warnings.simplefilter('ignore', NotGeoreferencedWarning)
                    tile_summary = self.convert(
                        split, job.tile, job.source, job.open_tile,
                        label=job.label, writers=job.writers,
                        image=job.image, defer_manifest=True)
                summary.update(tile_summary)
                if log is not None:
                    state = ('already done' if 'already done' in
                             tile_summary.patches else 'converted')
                    log(f'[{split} {i}/{len(tiles)}] '
                        f'{job.name or job.tile}: {state}')
                if time.monotonic() - written >= MANIFEST_INTERVAL_S:
                    self.write_manifest(split)
                    written = time.monotonic()
        except BaseException:  # the tiles done so far stay done
            if self._unlisted.get(split):
                self.write_manifest(split)
            raise
        self.write_manifest(split)
        return summary

    def _manifest(self, split: str) -> Dict[str, list]:
        """Tile -> manifest rows of every done tile of ``split`` (read from
        the markers once, then kept up to date)."""
        if split not in self._manifests:
            rows = {}
            unfinished = {name.split('/', 1)[1] for name in
                          unfinished_tiles(self.out_dir, split)}
            for path in sorted(glob.glob(osp.join(
                    glob.escape(osp.join(self.out_dir, '.done', split)),
                    '*.json'))):
                tile = osp.basename(path)[:-len('.json')]
                if tile not in unfinished and not is_temporary(path):
                    with open(path, encoding='utf-8') as f:
                        rows[tile] = json.load(f)['rows']
            self._manifests[split] = rows
        return self._manifests[split]

    def manifest_size(self, split: str) -> int:
        """The rows of ``manifest_<split>.csv``: the patches of every done
        tile of the split."""
        return sum(len(rows) for rows in self._manifest(split).values())

    def write_manifest(self, split: str) -> int:
        """Write ``manifest_<split>.csv``: the rows of every done tile of
        the split in the dataset root, then mark the tiles converted since
        the last write as done (their ``.started`` files removed); returns
        the number of rows."""
        rows = [row for tile_rows in self._manifest(split).values()
                for row in tile_rows]
        path = osp.join(self.out_dir, f'manifest_{split}.csv')
        with atomic_path(path) as tmp, open(tmp, 'w', newline='') as f:
            writer = csv.writer(f)
            writer.writerow(['patch', 'source', 'col', 'row', 'width',
                             'height'])
            writer.writerows(rows)
        for started in self._unlisted.pop(split, []):
            os.remove(started)
        return len(rows)


def _write_json(path: str, data: dict) -> None:
    write_text_atomically(path, json.dumps(data))


def unfinished_tiles(data_root: str, split: Optional[str] = None
                     ) -> List[str]:
    """The tiles a conversion left unfinished (``split/tile``), sorted.

    Args:
        data_root (str): A dataset root written by :class:`TileConverter`.
        split (str, optional): Only this split's tiles.
    """
    pattern = osp.join(glob.escape(osp.join(data_root, '.done')),
                       glob.escape(split) if split else '*', '*.started')
    return sorted(
        f'{osp.basename(osp.dirname(p))}/{osp.basename(p)[:-len(".started")]}'
        for p in glob.glob(pattern) if not is_temporary(p))


def check_finished(data_root: str, split: Optional[str] = None) -> None:
    """Refuse a dataset root with unfinished tiles.

    Raises:
        RuntimeError: Naming the tiles (up to 10) and what to do.
    """
    tiles = unfinished_tiles(data_root, split)
    if tiles:
        raise RuntimeError(
            f'{data_root}: {len(tiles)} tile(s) were left unfinished by an '
            f'interrupted conversion: {", ".join(tiles[:10])}'
            f'{" ..." if len(tiles) > 10 else ""}; run the converter again '
            'to finish them')
