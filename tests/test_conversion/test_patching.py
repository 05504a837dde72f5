"""TileConverter's manifest: written at intervals and at the end, a tile
done only once its rows are in it."""
import csv
import os.path as osp

import numpy as np
import pytest

from false_plugin.conversion import patching
from false_plugin.conversion.patching import (TileConverter, TileJob,
                                              in_memory_tile, png_writer,
                                              unfinished_tiles)


def _jobs(source, count, failing=None):
    image = np.full((32, 32, 3), 7, np.uint8)
    label = np.ones((32, 32), np.uint8)
    cause = np.zeros((32, 32), np.uint8)

    def open_tile(i):
        width, height, read = in_memory_tile(image, label, cause)
        if i != failing:
            return width, height, read

        def read_until_the_third_patch(window):
            if window[:2] == (0, 16):
                raise OSError(f'tile {i}: read error')
            return read(window)

        return width, height, read_until_the_third_patch

    return [TileJob(tile=f't{i}', source=source,
                    open_tile=lambda i=i: open_tile(i)) for i in range(count)]


def _converter(out):
    return TileConverter(str(out), 16, 16, '.png', png_writer)


def _manifest_tiles(out):
    with open(osp.join(out, 'manifest_train.csv')) as f:
        return sorted({row['patch'].split('_')[0]
                       for row in csv.DictReader(f)})


def _count_writes(converter):
    writes = []
    write = converter.write_manifest
    converter.write_manifest = lambda split: writes.append(split) or write(
        split)
    return writes


@pytest.mark.parametrize('interval, writes', [(600.0, 1), (0.0, 5)])
def test_manifest_written_at_intervals_and_at_the_end(tmp_path, monkeypatch,
                                                      interval, writes):
    monkeypatch.setattr(patching, 'MANIFEST_INTERVAL_S', interval)
    converter = _converter(tmp_path)
    calls = _count_writes(converter)
    summary = converter.convert_tiles('train', _jobs(__file__, 4), log=None)
    assert len(calls) == writes
    assert summary.patches['written'] == 16
    assert _manifest_tiles(tmp_path) == ['t0', 't1', 't2', 't3']
    assert unfinished_tiles(str(tmp_path)) == []


def test_error_leaves_done_tiles_listed_and_the_failed_one_unfinished(
        tmp_path):
    converter = _converter(tmp_path)
    with pytest.raises(OSError, match='tile 2: read error'):
        converter.convert_tiles('train', _jobs(__file__, 4, failing=2),
                                log=None)
    assert _manifest_tiles(tmp_path) == ['t0', 't1']
    assert unfinished_tiles(str(tmp_path)) == ['train/t2']
    # The next run finishes t2 and t3 and keeps t0 and t1.
    summary = _converter(tmp_path).convert_tiles(
        'train', _jobs(__file__, 4), log=None)
    assert summary.patches['already done'] == 8
    assert summary.patches['written'] == 8
    assert _manifest_tiles(tmp_path) == ['t0', 't1', 't2', 't3']
    assert unfinished_tiles(str(tmp_path)) == []


def test_tile_not_yet_in_the_manifest_stays_unfinished(tmp_path):
    """Killed between a tile and the next manifest write, the tile is
    redone: it is unfinished until its rows are written."""
    converter = _converter(tmp_path)
    converter.convert_tiles('train', _jobs(__file__, 1), log=None)
    job = _jobs(__file__, 2)[1]
    converter.convert('train', job.tile, job.source, job.open_tile,
                      defer_manifest=True)
    assert unfinished_tiles(str(tmp_path)) == ['train/t1']
    assert _manifest_tiles(tmp_path) == ['t0']
    assert converter.write_manifest('train') == 8
    assert unfinished_tiles(str(tmp_path)) == []
    assert _manifest_tiles(tmp_path) == ['t0', 't1']
