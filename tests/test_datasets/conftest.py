"""GeoTIFF fixtures written with rasterio."""
import numpy as np
import pytest
from _support import write_tif


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
