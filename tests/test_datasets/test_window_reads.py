"""The scalable read path: windows through files kept open per process,
GDAL's block cache bounded, whole-raster cache bounded in bytes, striped
layout warning."""
import multiprocessing as mp

import numpy as np
import pytest
import rasterio
from _support import write_tif
from rasterio.env import get_gdal_config
from rasterio.windows import Window

from false_plugin.datasets import raster_io
from false_plugin.datasets.raster_io import (RasterReadError, read_raster,
                                             striped_layout_warning)

WINDOWS = [(0, 0, 12, 12), (5, 9, 16, 7), (33, 20, 15, 20), (0, 39, 48, 1)]


@pytest.fixture
def rasters(tmp_path):
    """uint8 RGB, uint16 4-band with nodata 0 in one band, float32 with NaN
    (no declared nodata) and float32 with nodata -9999; 48 x 40, tiled in
    16 px blocks so that windows cross blocks."""
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (3, 40, 48), np.uint8)
    u16 = rng.integers(1, 60000, (4, 40, 48)).astype(np.uint16)
    u16[2, 10:14, 3:30] = 0
    nan = rng.uniform(0, 1, (2, 40, 48)).astype(np.float32)
    nan[1, 30:, 40:] = np.nan
    nan[0, 0, 0] = np.inf
    declared = rng.uniform(0, 1, (5, 40, 48)).astype(np.float32)
    declared[:, :, :8] = -9999
    paths = {}
    for name, data, nodata in (('rgb8', rgb, None), ('uint16', u16, 0),
                               ('float_nan', nan, None),
                               ('float_nodata', declared, -9999)):
        path = str(tmp_path / f'{name}.tif')
        with rasterio.open(path, 'w', driver='GTiff', width=48, height=40,
                           count=data.shape[0], dtype=data.dtype,
                           nodata=nodata, tiled=True, blockxsize=16,
                           blockysize=16, compress='deflate') as dst:
            dst.write(data)
        paths[name] = path
    return paths


def _expected(path, window, bands=None):
    """The window and nodata mask straight from rasterio, by the rule."""
    with rasterio.open(path) as src:
        bands = bands or list(range(1, src.count + 1))
        win = Window(*window)
        data = src.read(bands, window=win)
        invalid = np.zeros(data.shape[1:], bool)
        if data.dtype.kind == 'f':
            invalid |= ~np.isfinite(data).all(axis=0)
        for i, band in enumerate(bands):
            nodata = src.nodatavals[band - 1]
            if nodata is not None and not np.isnan(nodata):
                invalid |= data[i] == nodata
    return data.transpose(1, 2, 0), invalid


@pytest.mark.parametrize('name', ['rgb8', 'uint16', 'float_nan',
                                  'float_nodata'])
@pytest.mark.parametrize('cache', [False, True])
def test_windows_equal_rasterio(rasters, name, cache):
    path = rasters[name]
    for window in WINDOWS:
        expected, invalid = _expected(path, window)
        for dtype in (None, 'float32'):
            img, mask = read_raster(path, window=window, dtype=dtype,
                                    cache=cache)
            assert img.dtype == (expected.dtype if dtype is None else
                                 np.float32)
            np.testing.assert_array_equal(img, expected.astype(img.dtype))
            if name == 'rgb8':
                assert mask is None
            else:
                np.testing.assert_array_equal(mask, invalid)
        assert img.flags.c_contiguous and img.flags.writeable
    # A band subset in another order, and the nodata rule over it only.
    img, mask = read_raster(rasters['uint16'], [3, 1], (0, 8, 40, 10),
                            cache=cache)
    expected, invalid = _expected(rasters['uint16'], (0, 8, 40, 10), [3, 1])
    np.testing.assert_array_equal(img, expected)
    np.testing.assert_array_equal(mask, invalid)
    assert mask.any()
    _, mask = read_raster(rasters['uint16'], [1, 2], (0, 8, 40, 10),
                          cache=cache)
    assert not mask.any()


def test_cached_windows_are_copies(rasters):
    """Writing into a returned window (the loader fills nodata in place)
    leaves the cache alone."""
    path = rasters['float_nodata']
    first, _ = read_raster(path, window=(0, 0, 20, 20), cache=True)
    first[:] = 0
    again, _ = read_raster(path, window=(0, 0, 20, 20), cache=True)
    expected, _ = _expected(path, (0, 0, 20, 20))
    np.testing.assert_array_equal(again, expected)


def test_rewritten_file_is_read_again(tmp_path):
    path = str(tmp_path / 'tile.tif')
    write_tif(path, np.full((1, 8, 8), 3, np.uint8))
    for cache in (False, True):
        img, _ = read_raster(path, window=(0, 0, 4, 4), cache=cache)
        assert (img == 3).all()
    write_tif(path, np.full((1, 8, 8), 9, np.uint8))
    for cache in (False, True):
        img, _ = read_raster(path, window=(0, 0, 4, 4), cache=cache)
        assert (img == 9).all()


def test_open_files_are_bounded(tmp_path, monkeypatch):
    files = raster_io._OpenFiles(max_files=2)
    monkeypatch.setattr(raster_io, '_OPEN_FILES', files)
    paths = [write_tif(tmp_path / f't{i}.tif', np.full((1, 8, 8), i,
                                                       np.uint8))
             for i in range(3)]
    for i, path in enumerate(paths + paths[:1]):
        img, _ = read_raster(path, window=(1, 1, 3, 3))
        assert (img == i % 3).all()
    assert files.open_paths() == [paths[2], paths[0]]
    files.close_all()
    assert files.open_paths() == []


def test_gdal_block_cache_is_bounded(rasters, monkeypatch):
    """A windowed read bounds GDAL's block cache of the process (in bytes;
    rasterio passes an int to GDAL as is), unless GDAL_CACHEMAX is set."""
    files = raster_io._OpenFiles(max_files=4)
    monkeypatch.setattr(raster_io, '_OPEN_FILES', files)
    monkeypatch.delenv('GDAL_CACHEMAX', raising=False)
    read_raster(rasters['rgb8'], window=(0, 0, 4, 4))
    assert int(get_gdal_config('GDAL_CACHEMAX')) == (
        raster_io.GDAL_CACHE_MB * 2**20)
    files.close_all()


def test_whole_raster_cache_is_bounded_in_bytes(rasters, monkeypatch):
    # uint16: 48 * 40 * (4 * 2 + 1) bytes; float_nodata: 48 * 40 * 21.
    budget = 48 * 40 * 22
    cache = raster_io._RasterCache(budget)
    monkeypatch.setattr(raster_io, '_WHOLE_RASTERS', cache)
    for name in ('uint16', 'float_nodata', 'uint16', 'rgb8'):
        img, _ = read_raster(rasters[name], window=(2, 3, 10, 10),
                             cache=True)
        np.testing.assert_array_equal(
            img, _expected(rasters[name], (2, 3, 10, 10))[0])
        assert cache.nbytes <= budget
    # The last read (rgb8) pushed out the oldest raster, float_nodata.
    assert [name[0] for name in cache._rasters] == [rasters['uint16'],
                                                    rasters['rgb8']]
    small = raster_io._RasterCache(100)
    monkeypatch.setattr(raster_io, '_WHOLE_RASTERS', small)
    img, _ = read_raster(rasters['uint16'], window=(2, 3, 10, 10),
                         cache=True)  # larger than the budget: windowed
    np.testing.assert_array_equal(
        img, _expected(rasters['uint16'], (2, 3, 10, 10))[0])
    assert small.nbytes == 0
    # The answer is remembered: the next windows of that raster do not open
    # it to weigh it again.
    opened = []
    real_open = raster_io.rasterio.open
    monkeypatch.setattr(raster_io.rasterio, 'open',
                        lambda *a, **k: opened.append(a[0]) or real_open(
                            *a, **k))
    assert small.get(rasters['uint16'], None) is None
    assert opened == []


def test_errors_name_the_file(rasters, tmp_path):
    with pytest.raises(RasterReadError, match='outside the 48x40 raster'):
        read_raster(rasters['rgb8'], window=(40, 0, 16, 16))
    with pytest.raises(RasterReadError, match='nope.tif: cannot be read'):
        read_raster(str(tmp_path / 'nope.tif'), window=(0, 0, 4, 4))
    with pytest.raises(RasterReadError, match='nope.tif: cannot be read'):
        read_raster(str(tmp_path / 'nope.tif'), window=(0, 0, 4, 4),
                    cache=True)


def _read_in_child(path, queue):
    queue.put((raster_io._OPEN_FILES.open_paths(),
               read_raster(path, window=(5, 9, 16, 7))[0]))


def test_forked_process_opens_its_own_files(rasters):
    """A dataloader worker (a fork) does not use the handles its parent
    opened; the parent's stay open and usable."""
    path = rasters['uint16']
    parent, _ = read_raster(path, window=(5, 9, 16, 7))
    assert path in raster_io._OPEN_FILES.open_paths()
    ctx = mp.get_context('fork')
    queue = ctx.Queue()
    child = ctx.Process(target=_read_in_child, args=(path, queue))
    child.start()
    inherited, window = queue.get(timeout=60)
    child.join(timeout=60)
    assert child.exitcode == 0
    assert inherited == []
    np.testing.assert_array_equal(window, parent)
    again, _ = read_raster(path, window=(5, 9, 16, 7))
    np.testing.assert_array_equal(again, parent)


def test_striped_layout_warning(tmp_path):
    data = np.zeros((1, 2048, 2048), np.uint8)
    striped = str(tmp_path / 'striped.tif')
    with rasterio.open(striped, 'w', driver='GTiff', width=2048,
                       height=2048, count=1, dtype='uint8',
                       compress='deflate') as dst:
        dst.write(data)
    message = striped_layout_warning(striped)
    assert message.startswith(f'{striped}: 2048x2048 px stored in strips')
    assert (f'gdal_translate -co TILED=YES -co COMPRESS=DEFLATE {striped} '
            in message)
    tiled = str(tmp_path / 'tiled.tif')
    with rasterio.open(tiled, 'w', driver='GTiff', width=2048, height=2048,
                       count=1, dtype='uint8', tiled=True,
                       compress='deflate') as dst:
        dst.write(data)
    assert striped_layout_warning(tiled) is None
    small = write_tif(tmp_path / 'small.tif', data[:, :100, :100])
    assert striped_layout_warning(small) is None  # striped, but small
