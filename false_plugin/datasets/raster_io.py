"""Reading rasters with rasterio/GDAL, with errors that name the file."""
import functools
from typing import Optional, Sequence, Tuple

import numpy as np
import rasterio
from rasterio.errors import RasterioError
from rasterio.windows import Window


class RasterReadError(IOError):
    """A raster could not be read; the message names the file and why."""


def read_raster(path: str,
                bands: Optional[Sequence[int]] = None,
                window: Optional[Sequence[int]] = None,
                dtype: str = 'float32',
                cache: bool = False
                ) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Read a raster (any GDAL format) as ``(H, W, C)``.

    Args:
        path (str): The file.
        bands (Sequence[int], optional): 1-based band indices; all bands in
            file order if None.
        window (Sequence[int], optional): ``(col_off, row_off, width,
            height)`` in pixels; the whole raster if None.
        dtype (str): Output dtype; values are not rescaled.
        cache (bool): Read the whole raster once per process and keep it in
            memory, then cut windows from it: for rasters that fit in memory
            and are sampled many times (a small scene). Defaults to False.

    Returns:
        tuple: The ``(H, W, C)`` array and, when the file declares nodata,
        an ``(H, W)`` bool mask, True where any read band is nodata (else
        None).

    Raises:
        RasterReadError: If GDAL cannot open or read the file, if a band
            index is out of range, or if the window leaves the raster.
    """
    if cache:
        img, mask = _read_whole(path, tuple(bands) if bands else None, dtype)
        cut = (slice(None), slice(None))
        if window is not None:
            _check_window(path, window, img.shape[1], img.shape[0])
            col, row, width, height = window
            cut = (slice(row, row + height), slice(col, col + width))
        return img[cut].copy(), None if mask is None else mask[cut].copy()
    try:
        with rasterio.open(path) as src:
            if bands is None:
                bands = list(range(1, src.count + 1))
            bad = [b for b in bands if not 1 <= b <= src.count]
            if bad:
                raise RasterReadError(
                    f'{path}: has {src.count} band(s), but bands {list(bands)} '
                    f'were requested ({bad} out of range)')
            win = None
            if window is not None:
                _check_window(path, window, src.width, src.height)
                win = Window(*window)
            data = src.read(list(bands), window=win)
            nodata = src.nodata
    except RasterioError as err:
        raise RasterReadError(f'{path}: cannot be read by GDAL: {err}') from err
    mask = None
    if nodata is not None:
        mask = np.any(
            np.isnan(data) if np.isnan(nodata) else data == nodata, axis=0)
    return np.ascontiguousarray(data.transpose(1, 2, 0).astype(dtype)), mask


def _check_window(path: str, window: Sequence[int], width: int,
                  height: int) -> None:
    col, row, win_width, win_height = window
    if (col < 0 or row < 0 or col + win_width > width
            or row + win_height > height):
        raise RasterReadError(f'{path}: window {tuple(window)} is outside '
                              f'the {width}x{height} raster')


@functools.lru_cache(maxsize=8)
def _read_whole(path: str, bands: Optional[Tuple[int, ...]],
                dtype: str) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    return read_raster(path, bands, dtype=dtype)


def raster_size(path: str) -> Tuple[int, int, int]:
    """``(width, height, band count)`` of a raster."""
    try:
        with rasterio.open(path) as src:
            return src.width, src.height, src.count
    except RasterioError as err:
        raise RasterReadError(f'{path}: cannot be read by GDAL: {err}') from err
