"""Reading rasters with rasterio/GDAL, with errors that name the file.

One rule decides which pixels are valid, for the loader, the tile sampler and
the converters alike (:func:`invalid_pixels`): a pixel is **nodata** when any
of the bands read is nodata there, that is

- equal to the band's declared nodata value (NaN included),
- not finite (NaN, +inf, -inf in float rasters, declared or not), or
- masked by the file's own mask (an alpha band, an internal or ``.msk``
  mask: GDAL's mask band, where there is no nodata value).

Memory is bounded per process, whatever the number of files read:

- windowed reads go through files kept open per process (at most
  :data:`MAX_OPEN_FILES`, least recently used closed first; a dataloader
  worker opens its own, never one opened before the fork) and GDAL's block
  cache, which this module bounds to :data:`GDAL_CACHE_MB` per process
  unless ``GDAL_CACHEMAX`` is set by the user;
- ``cache=True`` keeps whole rasters in the file's own dtype within
  :data:`CACHE_BYTES` per process (a raster larger than that is read by
  windows instead);
- ``site=`` (the windows of one site of
  :class:`~false_plugin.datasets.RSTileSamplingDataset`) keeps the site's
  region, read once, in the file's own dtype within :data:`SITE_CACHE_BYTES`
  per process.
"""
import collections
import os
import os.path as osp
import struct
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
import rasterio
from rasterio.enums import MaskFlags
from rasterio.env import set_gdal_config
from rasterio.errors import RasterioError
from rasterio.windows import Window

#: Rows read at a time by :func:`read_valid_mask`.
STRIP_ROWS = 1024

#: Files kept open per process for windowed reads.
MAX_OPEN_FILES = 64

#: GDAL's block cache per process (MB) where ``GDAL_CACHEMAX`` is not set
#: (GDAL's own default is 5% of the RAM in every process).
GDAL_CACHE_MB = 128

#: Bytes of whole rasters kept per process by ``read_raster(cache=True)``.
CACHE_BYTES = 512 * 2**20

#: Bytes of site regions kept per process by ``read_raster(site=...)``.
SITE_CACHE_BYTES = 256 * 2**20

#: An untiled raster of at least this many pixels gets a layout warning
#: (:func:`striped_layout_warning`).
STRIPED_WARN_PIXELS = 2048 * 2048

_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def gdal_reason(err: BaseException) -> str:
    """The message of a rasterio error with GDAL's own reasons, which
    rasterio chains as causes behind "See previous exception for details"
    (a truncated file: ``TIFFReadEncodedStrip:Read error at scanline
    ...``)."""
    messages, seen = [], set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        text = str(err).strip()
        if text and 'See previous exception' not in text and \
                text not in messages:
            messages.append(text)
        err = err.__cause__ or err.__context__
    return '; '.join(messages) or 'unknown GDAL error'


class RasterReadError(IOError):
    """A raster could not be read; the message names the file and why."""


def read_raster(path: str,
                bands: Optional[Sequence[int]] = None,
                window: Optional[Sequence[int]] = None,
                dtype: Optional[str] = 'float32',
                cache: bool = False,
                site: Optional[Sequence[int]] = None
                ) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Read a raster (any GDAL format) as ``(H, W, C)``.

    Args:
        path (str): The file.
        bands (Sequence[int], optional): 1-based band indices; all bands in
            file order if None.
        window (Sequence[int], optional): ``(col_off, row_off, width,
            height)`` in pixels; the whole raster if None.
        dtype (str, optional): Output dtype; values are not rescaled. The
            file's own dtype if None.
        cache (bool): Keep the whole raster in memory (in its own dtype,
            within :data:`CACHE_BYTES` per process, least recently used
            dropped first) and cut windows from it: for a small scene
            sampled many times. Windowed reads of a tiled file are as fast
            and scale to any number of files (see ``docs/datasets.md``).
            Defaults to False.
        site (Sequence[int], optional): ``(col_off, row_off, width,
            height)`` of a region holding ``window``, read once and kept (in
            the file's own dtype, within :data:`SITE_CACHE_BYTES` per
            process, least recently used dropped first) for the other
            windows cut from it: the windows of one site of
            :class:`~false_plugin.datasets.RSTileSamplingDataset`, which
            then decode the region's blocks once instead of once a window.
            Ignored where ``cache`` holds the whole raster.

    Returns:
        tuple: The ``(H, W, C)`` array and an ``(H, W)`` bool mask, True
        where the pixel is nodata (see :func:`invalid_pixels`), or None
        where no pixel of the file can be nodata (an integer raster without
        nodata value or mask).

    Raises:
        RasterReadError: If GDAL cannot open or read the file, if a band
            index is out of range, or if the window leaves the raster.
    """
    cached, region = None, None
    if cache:
        cached = _WHOLE_RASTERS.get(path, bands)
    if cached is None and site is not None:
        region = tuple(site)
        cached = _SITES.get(path, bands, region)
    if cached is not None:
        img, mask = cached
        cut = (slice(None), slice(None))
        if window is not None:
            cut = _window_cut(path, window, region, img.shape[1],
                              img.shape[0])
        return (np.array(img[cut], dtype=dtype or img.dtype, order='C'),
                None if mask is None else mask[cut].copy())
    plain = _read_plain_png(path)
    if plain is not None:
        return _select(path, plain, bands, window, dtype), None
    try:
        if window is None:
            with rasterio.open(path) as src:
                data, mask = _read_bands(path, src, bands, None)
        else:
            data, mask = _read_bands(path, _OPEN_FILES.get(path), bands,
                                     window)
    except RasterioError as err:
        raise RasterReadError(
            f'{path}: cannot be read by GDAL: {gdal_reason(err)}') from err
    return np.ascontiguousarray(data.transpose(1, 2, 0), dtype=dtype), mask


def _read_bands(path: str, src: rasterio.DatasetReader,
                bands: Optional[Sequence[int]],
                window: Optional[Sequence[int]]
                ) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """``(C, H, W)`` in the file's dtype and the nodata mask of a window."""
    bands = _check_bands(path, src.count, bands)
    win = None
    if window is not None:
        _check_window(path, window, src.width, src.height)
        win = Window(*window)
    data = src.read(bands, window=win)
    return data, invalid_pixels(src, bands, data, win)


def invalid_pixels(src: rasterio.DatasetReader,
                   bands: Sequence[int],
                   data: np.ndarray,
                   window: Optional[Window] = None) -> Optional[np.ndarray]:
    """The nodata pixels of ``data``, read from ``bands`` of ``src``.

    Args:
        src: The open raster.
        bands (Sequence[int]): The 1-based bands ``data`` holds.
        data (np.ndarray): ``(C, H, W)`` as read, in the file's dtype.
        window (Window, optional): Where ``data`` was read.

    Returns:
        np.ndarray or None: ``(H, W)`` bool, True where any band is nodata;
        None where no pixel can be (integer data without nodata or mask).
    """
    invalid = None

    def add(mask: np.ndarray) -> None:
        nonlocal invalid
        invalid = mask if invalid is None else invalid | mask

    if data.dtype.kind == 'f':
        add(~np.isfinite(data).all(axis=0))
    for i, band in enumerate(bands):
        flags = src.mask_flag_enums[band - 1]
        nodata = src.nodatavals[band - 1]
        if MaskFlags.nodata in flags and nodata is not None:
            if not np.isnan(nodata):  # NaN is covered by the finite test
                add(data[i] == nodata)
        elif MaskFlags.all_valid not in flags:
            # Alpha band, internal or sidecar mask: GDAL's mask band.
            add(src.read_masks(band, window=window) == 0)
    return invalid


def can_hold_nodata(src: rasterio.DatasetReader,
                    bands: Sequence[int]) -> bool:
    """Whether any pixel of ``bands`` can be nodata by
    :func:`invalid_pixels`: float data, a declared nodata value or a mask.
    """
    return any(
        np.dtype(src.dtypes[band - 1]).kind == 'f'
        or src.mask_flag_enums[band - 1] != [MaskFlags.all_valid]
        for band in bands)


def pixel_nbytes(src: rasterio.DatasetReader,
                 bands: Optional[Sequence[int]] = None) -> int:
    """Bytes a pixel of ``bands`` (all if None) takes when kept in the
    file's dtype, its nodata mask byte included."""
    count = len(bands) if bands is not None else src.count
    return count * max(np.dtype(d).itemsize for d in src.dtypes) + 1


def read_valid_mask(path: str,
                    bands: Optional[Sequence[int]] = None) -> np.ndarray:
    """``(H, W)`` bool, True where a pixel of the whole raster is valid.

    Read in strips of :data:`STRIP_ROWS` rows, so only the mask (one byte a
    pixel) is held for the whole raster; a raster that cannot hold nodata
    (:func:`can_hold_nodata`) is not read.

    Args:
        path (str): The file.
        bands (Sequence[int], optional): 1-based bands; all if None.
    """
    try:
        with rasterio.open(path) as src:
            bands = _check_bands(path, src.count, bands)
            valid = np.ones((src.height, src.width), bool)
            if not can_hold_nodata(src, bands):
                return valid
            for row in range(0, src.height, STRIP_ROWS):
                win = Window(0, row, src.width,
                             min(STRIP_ROWS, src.height - row))
                invalid = invalid_pixels(src, bands,
                                         src.read(bands, window=win), win)
                if invalid is not None:
                    valid[row:row + win.height] = ~invalid
    except RasterioError as err:
        raise RasterReadError(
            f'{path}: cannot be read by GDAL: {gdal_reason(err)}') from err
    return valid


def _read_plain_png(path: str) -> Optional[np.ndarray]:
    """Decode a PNG with OpenCV where GDAL would read the same values.

    GDAL's PNG driver is about 3x slower than OpenCV's decoder on 256 px
    patches. PNG is lossless, so both give the same values where the file
    is 8- or 16-bit grey or RGB without transparency (no ``tRNS`` chunk)
    and has no sidecar that GDAL would read (``.aux.xml`` nodata, ``.msk``
    mask). Anything else (palette, alpha, low bit depths, other formats)
    returns None and is read by GDAL.

    Returns:
        np.ndarray or None: ``(H, W, C)`` in the file's band order.
    """
    if not path.lower().endswith('.png'):
        return None
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError:
        return None
    if data[:8] != _PNG_SIGNATURE or data[12:16] != b'IHDR':
        return None
    depth, color_type = data[24], data[25]
    if depth not in (8, 16) or color_type not in (0, 2):
        return None
    pos = 8
    while pos + 8 <= len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        if kind == b'IDAT':
            break
        if kind == b'tRNS':
            return None
        pos += 12 + length
    if osp.exists(path + '.aux.xml') or osp.exists(path + '.msk'):
        return None
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None:
        return None
    if img.ndim == 2:
        return img[..., None]
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _select(path: str, img: np.ndarray, bands: Optional[Sequence[int]],
            window: Optional[Sequence[int]],
            dtype: Optional[str]) -> np.ndarray:
    """Bands, window and dtype of an ``(H, W, C)`` image read whole."""
    bands = _check_bands(path, img.shape[2], bands)
    if bands != list(range(1, img.shape[2] + 1)):
        img = img[..., [b - 1 for b in bands]]
    if window is not None:
        img = img[_window_cut(path, window, None, img.shape[1],
                              img.shape[0])]
    if dtype is not None and img.dtype != dtype:
        return np.ascontiguousarray(img, dtype=dtype)
    return np.ascontiguousarray(img)


def _check_bands(path: str, count: int,
                 bands: Optional[Sequence[int]]) -> list:
    """The 1-based bands to read (all if None), each within ``count``."""
    if bands is None:
        return list(range(1, count + 1))
    bad = [b for b in bands if not 1 <= b <= count]
    if bad:
        raise RasterReadError(
            f'{path}: has {count} band(s), but bands {list(bands)} '
            f'were requested ({bad} out of range)')
    return list(bands)


def _window_cut(path: str, window: Sequence[int],
                region: Optional[Sequence[int]], width: int,
                height: int) -> Tuple[slice, slice]:
    """Row and column slices of a checked ``(col, row, width, height)``
    window in an array of ``width`` x ``height`` px read from ``region``
    (``(col, row, width, height)``; the whole raster if None)."""
    col, row, win_width, win_height = window
    if region is not None:
        if not (region[0] <= col and col + win_width <= region[0] + width
                and region[1] <= row
                and row + win_height <= region[1] + height):
            raise RasterReadError(
                f'{path}: window {tuple(window)} is outside the site '
                f'{tuple(region)} it was to be cut from')
        col, row = col - region[0], row - region[1]
    else:
        _check_window(path, window, width, height)
    return slice(row, row + win_height), slice(col, col + win_width)


def _check_window(path: str, window: Sequence[int], width: int,
                  height: int) -> None:
    col, row, win_width, win_height = window
    if (col < 0 or row < 0 or col + win_width > width
            or row + win_height > height):
        raise RasterReadError(f'{path}: window {tuple(window)} is outside '
                              f'the {width}x{height} raster')


def raster_size(path: str) -> Tuple[int, int, int]:
    """``(width, height, band count)`` of a raster."""
    try:
        with rasterio.open(path) as src:
            return src.width, src.height, src.count
    except RasterioError as err:
        raise RasterReadError(
            f'{path}: cannot be read by GDAL: {gdal_reason(err)}') from err


def striped_layout_warning(path: str) -> Optional[str]:
    """Why windowed reads of ``path`` are slow, or None where they are not.

    A GeoTIFF stored in strips (GDAL's default without ``TILED=YES``), a
    JPEG or a PNG is decoded by whole rows: every window read decodes every
    strip it crosses across the full width (the whole file for a single
    strip, a JPEG or a PNG), again for each window. Tiled files decode only
    the blocks a window touches. Untiled rasters of at least
    :data:`STRIPED_WARN_PIXELS` pixels get the message.

    Returns:
        str or None: A message naming the file, its layout and the
        ``gdal_translate`` command that tiles it.
    """
    try:
        with rasterio.open(path) as src:
            block_height, block_width = src.block_shapes[0]
            width, height = src.width, src.height
    except RasterioError as err:
        raise RasterReadError(
            f'{path}: cannot be read by GDAL: {gdal_reason(err)}') from err
    if block_width < width or width * height < STRIPED_WARN_PIXELS:
        return None
    tiled = osp.splitext(path)[0] + '_tiled.tif'
    return (f'{path}: {width}x{height} px stored in strips of '
            f'{block_height} row(s) across the full width, not in tiles: '
            'every window read decodes the whole rows it crosses, again for '
            'each window. Tile it once for fast windowed reads: '
            f'gdal_translate -co TILED=YES -co COMPRESS=DEFLATE {path} '
            f'{tiled}')


def _file_key(path: str) -> Optional[tuple]:
    """What changes when ``path`` is rewritten (None if it cannot be told:
    a missing file or a GDAL virtual path)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _bound_gdal_cache() -> None:
    """Bound GDAL's block cache of this process, unless the user did."""
    if 'GDAL_CACHEMAX' not in os.environ:
        # In bytes: rasterio hands an int to GDALSetCacheMax64 as is (128
        # would be 128 bytes, no cache at all).
        set_gdal_config('GDAL_CACHEMAX', GDAL_CACHE_MB * 2**20)


class _OpenFiles:
    """Files kept open for windowed reads in this process.

    The least recently used file is closed beyond ``max_files``; a file
    rewritten on disk (other inode, size or modification time) is opened
    again. After a fork (a dataloader worker) the new process starts with
    none: it opens its own, and leaves its parent's alone.

    Args:
        max_files (int): Files kept open at most.
    """

    def __init__(self, max_files: int) -> None:
        self.max_files = max_files
        self._pid: Optional[int] = None
        self._files: 'collections.OrderedDict[str, tuple]' = (
            collections.OrderedDict())
        self._parents: list = []

    def get(self, path: str) -> rasterio.DatasetReader:
        """The open file; raises ``RasterioError`` if GDAL cannot open it."""
        if self._pid != os.getpid():
            # Handles opened before a fork belong to the parent: keep them
            # referenced (closing them here would run GDAL's close on the
            # parent's state), open new ones.
            self._parents.append(self._files)
            self._files = collections.OrderedDict()
            self._pid = os.getpid()
            _bound_gdal_cache()
        key = _file_key(path)
        entry = self._files.get(path)
        if entry is not None:
            if entry[0] == key and key is not None:
                self._files.move_to_end(path)
                return entry[1]
            del self._files[path]
            entry[1].close()
        src = rasterio.open(path)
        self._files[path] = (key, src)
        while len(self._files) > self.max_files:
            _, (_, oldest) = self._files.popitem(last=False)
            oldest.close()
        return src

    def open_paths(self) -> list:
        """The paths open in this process (for tests and diagnostics)."""
        return list(self._files) if self._pid == os.getpid() else []

    def close_all(self) -> None:
        """Close every file this process opened."""
        if self._pid == os.getpid():
            while self._files:
                _, (_, src) = self._files.popitem()
                src.close()


class _RasterCache:
    """Whole rasters, or regions of them, in their own dtype, within
    ``max_bytes`` (least recently used dropped first).

    Args:
        max_bytes (int): Bytes of pixels and masks kept at most.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._rasters: 'collections.OrderedDict[tuple, tuple]' = (
            collections.OrderedDict())
        #: ``(path, bands, region)`` -> file key of reads over the budget.
        self._too_large: dict = {}

    def get(self, path: str, bands: Optional[Sequence[int]],
            region: Optional[Tuple[int, int, int, int]] = None
            ) -> Optional[Tuple[np.ndarray, Optional[np.ndarray]]]:
        """``(img, mask)`` of the whole raster or of ``region`` (read now if
        needed), or None where it alone exceeds the budget (the caller
        reads by windows; that answer is remembered until the file
        changes, so such a raster is not opened again for every window)."""
        name = (path, tuple(bands) if bands is not None else None, region)
        key = _file_key(path)
        if key is not None and self._too_large.get(name) == key:
            return None
        entry = self._rasters.get(name)
        if entry is not None:
            if entry[0] == key and key is not None:
                self._rasters.move_to_end(name)
                return entry[1]
            self._drop(name)
        try:
            src = _OPEN_FILES.get(path)
        except RasterioError as err:
            raise RasterReadError(
                f'{path}: cannot be read by GDAL: {gdal_reason(err)}'
            ) from err
        width, height = (src.width, src.height) if region is None else \
            region[2:]
        nbytes = width * height * pixel_nbytes(src, bands)
        if nbytes > self.max_bytes:
            self._too_large[name] = key
            return None
        img, mask = read_raster(path, bands, region, dtype=None)
        while self._rasters and self.nbytes + nbytes > self.max_bytes:
            self._drop(next(iter(self._rasters)))
        self._rasters[name] = (key, (img, mask), nbytes)
        self.nbytes += nbytes
        return img, mask

    def _drop(self, name: tuple) -> None:
        self.nbytes -= self._rasters.pop(name)[2]

    def clear(self) -> None:
        """Forget every raster."""
        self._rasters.clear()
        self._too_large.clear()
        self.nbytes = 0


_OPEN_FILES = _OpenFiles(MAX_OPEN_FILES)
_WHOLE_RASTERS = _RasterCache(CACHE_BYTES)
_SITES = _RasterCache(SITE_CACHE_BYTES)
