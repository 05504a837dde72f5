"""Atomic writes: the target appears whole or not at all."""
import cv2
import numpy as np
import pytest
import rasterio

from false_plugin.fileio import (atomic_path, is_temporary, temporary_path,
                                 write_text_atomically)


def test_temporary_keeps_the_extension_and_is_recognised(tmp_path):
    path = str(tmp_path / 'a.tif')
    assert temporary_path(path) == path + '.part.tif'
    assert temporary_path(str(tmp_path / 'latest')) == str(
        tmp_path / 'latest.part')
    for name in ['a.tif.part.tif', 'm.csv.part.csv', 'latest.part']:
        assert is_temporary(name), name
    for name in ['a.tif', 'a.part1.tif', 'tile.json', 'x.part.tif']:
        assert not is_temporary(name), name


def test_success_renames_onto_the_target(tmp_path):
    path = tmp_path / 'x.json'
    path.write_text('old')
    with atomic_path(str(path)) as tmp:
        with open(tmp, 'w') as f:
            f.write('new')
        assert path.read_text() == 'old'  # not replaced before the end
    assert path.read_text() == 'new'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['x.json']


def test_an_exception_leaves_the_target_and_no_temporary(tmp_path):
    path = tmp_path / 'x.txt'
    path.write_text('old')
    with pytest.raises(RuntimeError, match='disk gone'):
        with atomic_path(str(path)) as tmp:
            with open(tmp, 'w') as f:
                f.write('half')
            raise RuntimeError('disk gone')
    assert path.read_text() == 'old'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['x.txt']


def test_nothing_written_is_an_error_naming_the_target(tmp_path):
    path = tmp_path / 'x.png'
    with pytest.raises(FileNotFoundError, match='x.png: nothing was written'):
        with atomic_path(str(path)):
            pass
    assert not list(tmp_path.iterdir())


def test_gdal_and_cv2_pick_the_format_from_the_extension(tmp_path):
    image = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    with atomic_path(str(tmp_path / 'p.png')) as tmp:
        assert cv2.imwrite(tmp, image)
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / 'p.png')), image)
    with atomic_path(str(tmp_path / 'p.tif')) as tmp, rasterio.open(
            tmp, 'w', width=3, height=2, count=1, dtype='uint16') as dst:
        dst.write(np.full((1, 2, 3), 700, np.uint16))
    with rasterio.open(tmp_path / 'p.tif') as src:
        assert src.driver == 'GTiff' and src.read().max() == 700


def test_write_text_atomically(tmp_path):
    path = tmp_path / 'splits.txt'
    write_text_atomically(str(path), 'a\r\nb\n')
    assert path.read_bytes() == b'a\r\nb\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['splits.txt']
