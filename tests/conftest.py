"""Shared pytest fixtures."""
import pytest

import false_plugin  # noqa: F401  (applies upstream fixes, registers parts)
from _support import REPO_ROOT, make_png_tiles, run_repo_tool


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
