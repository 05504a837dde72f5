"""GeoTIFF fixtures written with rasterio."""
import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin


def write_tif(path, array, nodata=None, dtype=None):
    """Write ``(C, H, W)`` as a georeferenced GeoTIFF."""
    array = np.asarray(array)
    with rasterio.open(
            path, 'w', driver='GTiff', width=array.shape[2],
            height=array.shape[1], count=array.shape[0],
            dtype=dtype or array.dtype, nodata=nodata, crs='EPSG:32617',
            transform=from_origin(600000, 4000000, 30, 30)) as dst:
        dst.write(array)
    return str(path)


@pytest.fixture
def scene(tmp_path):
    """A 5-band float32 scene (48 x 40) with a nodata strip, and labels."""
    rng = np.random.default_rng(0)
    img = rng.uniform(0, 255, (5, 40, 48)).astype(np.float32)
    img[:, :, :8] = -99999  # left strip: nodata, like the Landsat scene
    label = rng.integers(0, 3, (1, 40, 48)).astype(np.uint8)
    label[:, :, :8] = 255
    return (write_tif(tmp_path / 'scene.tif', img, nodata=-99999),
            write_tif(tmp_path / 'labels.tif', label, nodata=255))
