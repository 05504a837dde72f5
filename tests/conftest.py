"""Shared pytest fixtures."""
import numpy as np
import pytest

import false_plugin  # noqa: F401  (applies upstream fixes, registers parts)
from _support import REPO_ROOT, make_png_tiles, run_repo_tool, write_tif


@pytest.fixture
def repo_root() -> str:
    return REPO_ROOT


@pytest.fixture
def tiny_png_folder(tmp_path) -> str:
    """A folder ``tiles/a/`` of eight 40x40 random RGB PNG tiles."""
    return make_png_tiles(tmp_path / 'tiles')


@pytest.fixture
def run_tool():
    """``run_tool([script, *args])``: run a repository script (see
    :func:`_support.run_repo_tool`)."""
    return run_repo_tool


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
