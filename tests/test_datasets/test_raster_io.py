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


def test_nan_and_inf_are_nodata_without_declared_nodata(tmp_path):
    from _support import write_tif
    data = np.ones((2, 4, 5), np.float32)
    data[0, 1, 2] = np.nan
    data[1, 3, 4] = np.inf
    data[0, 0, 0] = -np.inf
    path = write_tif(tmp_path / 'reflectance.tif', data)  # no nodata value
    img, mask = read_raster(path)
    assert mask.sum() == 3
    assert mask[1, 2] and mask[3, 4] and mask[0, 0]
    np.testing.assert_array_equal(np.isfinite(img).all(axis=2), ~mask)


def test_any_band_nodata_rule(tmp_path):
    """A pixel is nodata when any band is, whatever GDAL's dataset mask
    (valid where any band is) says."""
    from _support import write_tif
    data = np.full((3, 2, 2), 7, np.uint16)
    data[1, 0, 0] = 0  # nodata in one band only
    path = write_tif(tmp_path / 'uint16.tif', data, nodata=0)
    _, mask = read_raster(path)
    assert mask.tolist() == [[True, False], [False, False]]
    with rasterio.open(path) as src:
        assert src.dataset_mask()[0, 0] == 255  # GDAL: valid
    _, mask = read_raster(path, [1, 3])
    assert not mask.any()
    from false_plugin.datasets import read_valid_mask
    assert read_valid_mask(path).tolist() == [[False, True], [True, True]]
    assert read_valid_mask(path, [1, 3]).all()


def test_alpha_band_mask(tmp_path):
    rgba = np.full((4, 3, 3), 50, np.uint8)
    rgba[3] = 255
    rgba[3, 2, :] = 0  # transparent bottom row
    path = str(tmp_path / 'rgba.tif')
    with rasterio.open(path, 'w', driver='GTiff', width=3, height=3,
                       count=4, dtype='uint8', photometric='RGB',
                       alpha='YES') as dst:
        dst.write(rgba)
    _, mask = read_raster(path, [1, 2, 3])
    assert mask.tolist() == [[False] * 3, [False] * 3, [True] * 3]


@pytest.mark.parametrize('kind', ['gray8', 'rgb8', 'rgb16', 'gray16'])
def test_png_fast_path_equals_gdal(tmp_path, kind):
    import cv2

    from false_plugin.datasets.raster_io import _read_plain_png
    rng = np.random.default_rng(2)
    dtype = np.uint16 if kind.endswith('16') else np.uint8
    shape = (9, 11) if kind.startswith('gray') else (9, 11, 3)
    arr = rng.integers(0, np.iinfo(dtype).max, shape, dtype=dtype)
    path = str(tmp_path / f'{kind}.png')
    cv2.imwrite(path, arr if arr.ndim == 2 else arr[..., ::-1])
    assert _read_plain_png(path) is not None
    img, mask = read_raster(path, window=(2, 1, 5, 6), dtype=None)
    with rasterio.open(path) as src:
        expected = src.read(window=((1, 7), (2, 7))).transpose(1, 2, 0)
    assert img.dtype == dtype and mask is None
    np.testing.assert_array_equal(img, expected)


def test_png_gdal_only_cases(tmp_path):
    """Palette PNGs and PNGs with nodata in a sidecar go through GDAL."""
    from PIL import Image

    from false_plugin.datasets.raster_io import _read_plain_png
    index = np.array([[0, 1], [2, 1]], np.uint8)
    pal = Image.fromarray(index, mode='P')
    pal.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0])
    path = str(tmp_path / 'palette.png')
    pal.save(path)
    assert _read_plain_png(path) is None
    img, _ = read_raster(path, dtype=None)
    assert img[..., 0].tolist() == index.tolist()  # indices, not colours

    import cv2
    plain = str(tmp_path / 'plain.png')
    cv2.imwrite(plain, index * 10)
    with rasterio.open(plain, 'r+') as dst:  # GDAL writes nodata to .aux.xml
        dst.nodata = 10
    assert _read_plain_png(plain) is None
    _, mask = read_raster(plain)
    assert mask.tolist() == [[False, True], [False, True]]
