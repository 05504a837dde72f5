"""Reading rasters with rasterio/GDAL, with errors that name the file.

One rule decides which pixels are valid, for the loader, the tile sampler and
the converters alike (:func:`invalid_pixels`): a pixel is **nodata** when any
of the bands read is nodata there, that is

- equal to the band's declared nodata value (NaN included),
- not finite (NaN, +inf, -inf in float rasters, declared or not), or
- masked by the file's own mask (an alpha band, an internal or ``.msk``
  mask: GDAL's mask band, where there is no nodata value).
"""
import functools
import os.path as osp
import struct
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
import rasterio
from rasterio.enums import MaskFlags
from rasterio.errors import RasterioError
from rasterio.windows import Window

#: Rows read at a time by :func:`read_valid_mask`.
STRIP_ROWS = 1024

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
                cache: bool = False
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
        cache (bool): Read the whole raster once per process and keep it in
            memory, then cut windows from it: for rasters that fit in memory
            and are sampled many times (a small scene). Defaults to False.

    Returns:
        tuple: The ``(H, W, C)`` array and an ``(H, W)`` bool mask, True
        where the pixel is nodata (see :func:`invalid_pixels`), or None
        where no pixel of the file can be nodata (an integer raster without
        nodata value or mask).

    Raises:
        RasterReadError: If GDAL cannot open or read the file, if a band
            index is out of range, or if the window leaves the raster.
    """
    if cache:
        img, mask = _read_whole(path, tuple(bands) if bands else None, dtype)
        cut = (slice(None), slice(None)) if window is None else _window_cut(
            path, window, img.shape[1], img.shape[0])
        return img[cut].copy(), None if mask is None else mask[cut].copy()
    plain = _read_plain_png(path)
    if plain is not None:
        return _select(path, plain, bands, window, dtype), None
    try:
        with rasterio.open(path) as src:
            bands = _check_bands(path, src.count, bands)
            win = None
            if window is not None:
                _check_window(path, window, src.width, src.height)
                win = Window(*window)
            data = src.read(bands, window=win)
            mask = invalid_pixels(src, bands, data, win)
    except RasterioError as err:
        raise RasterReadError(
            f'{path}: cannot be read by GDAL: {gdal_reason(err)}') from err
    img = data.transpose(1, 2, 0)
    if dtype is not None and img.dtype != dtype:
        img = img.astype(dtype)
    return np.ascontiguousarray(img), mask


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


def read_valid_mask(path: str,
                    bands: Optional[Sequence[int]] = None) -> np.ndarray:
    """``(H, W)`` bool, True where a pixel of the whole raster is valid.

    Read in strips of :data:`STRIP_ROWS` rows, so only the mask (one byte a
    pixel) is held for the whole raster.

    Args:
        path (str): The file.
        bands (Sequence[int], optional): 1-based bands; all if None.
    """
    try:
        with rasterio.open(path) as src:
            bands = _check_bands(path, src.count, bands)
            valid = np.ones((src.height, src.width), bool)
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
        img = img[_window_cut(path, window, img.shape[1], img.shape[0])]
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


def _window_cut(path: str, window: Sequence[int], width: int,
                height: int) -> Tuple[slice, slice]:
    """Row and column slices of a checked ``(col, row, width, height)``."""
    _check_window(path, window, width, height)
    col, row, win_width, win_height = window
    return slice(row, row + win_height), slice(col, col + win_width)


def _check_window(path: str, window: Sequence[int], width: int,
                  height: int) -> None:
    col, row, win_width, win_height = window
    if (col < 0 or row < 0 or col + win_width > width
            or row + win_height > height):
        raise RasterReadError(f'{path}: window {tuple(window)} is outside '
                              f'the {width}x{height} raster')


@functools.lru_cache(maxsize=8)
def _read_whole(path: str, bands: Optional[Tuple[int, ...]],
                dtype: Optional[str]
                ) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    return read_raster(path, bands, dtype=dtype)


def raster_size(path: str) -> Tuple[int, int, int]:
    """``(width, height, band count)`` of a raster."""
    try:
        with rasterio.open(path) as src:
            return src.width, src.height, src.count
    except RasterioError as err:
        raise RasterReadError(
            f'{path}: cannot be read by GDAL: {gdal_reason(err)}') from err
