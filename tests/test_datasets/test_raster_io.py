"""read_raster: values, bands, windows, nodata, and bad files."""
import numpy as np
import pytest
import rasterio

from false_plugin.datasets import RasterReadError, read_raster


def test_values_unchanged_and_nodata_mask(scene):
    path, _ = scene
    img, mask = read_raster(path)
    with rasterio.open(path) as src:
        expected = src.read().transpose(1, 2, 0)
    assert img.dtype == np.float32 and img.shape == (40, 48, 5)
    np.testing.assert_array_equal(img, expected)
    assert mask[:, :8].all() and not mask[:, 8:].any()


@pytest.mark.parametrize('cache', [False, True])
def test_bands_and_window(scene, cache):
    path, _ = scene
    full, _ = read_raster(path)
    img, mask = read_raster(path, [4, 3, 2], (10, 5, 16, 8), cache=cache)
    assert img.shape == (8, 16, 3)
    np.testing.assert_array_equal(img, full[5:13, 10:26, [3, 2, 1]])
    assert not mask.any()


@pytest.mark.parametrize('cache', [False, True])
def test_window_outside_raster(scene, cache):
    path, _ = scene
    with pytest.raises(RasterReadError, match='outside the 48x40 raster'):
        read_raster(path, window=(40, 0, 16, 16), cache=cache)


def test_band_out_of_range(scene):
    path, _ = scene
    with pytest.raises(RasterReadError, match=r'has 5 band\(s\)'):
        read_raster(path, [1, 6])


def test_missing_and_truncated_files(tmp_path, scene):
    missing = str(tmp_path / 'nope.tif')
    with pytest.raises(RasterReadError, match='nope.tif: cannot be read'):
        read_raster(missing)
    path, _ = scene
    truncated = tmp_path / 'truncated.tif'
    data = open(path, 'rb').read()
    truncated.write_bytes(data[:len(data) // 3])
    with pytest.raises(RasterReadError) as err:
        read_raster(str(truncated))
    assert 'truncated.tif' in str(err.value)


def test_png_through_gdal(tmp_path):
    import cv2
    rgb = np.random.default_rng(1).integers(0, 255, (6, 7, 3), np.uint8)
    path = str(tmp_path / 'tile_sat.png')
    cv2.imwrite(path, rgb[..., ::-1])
    img, mask = read_raster(path)
    np.testing.assert_array_equal(img, rgb.astype(np.float32))
    assert mask is None
