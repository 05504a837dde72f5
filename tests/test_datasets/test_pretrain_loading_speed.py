"""The loader benchmark's library: tiles written once per layout, and one
measurement of the real loader (figures are printed, never asserted)."""
import os

import numpy as np
import rasterio

from false_plugin.speed.pretrain_loading import (format_table, measure,
                                                 run_task, write_tiles)


def test_tiles_written_once_with_their_layout(tmp_path):
    tiled = write_tiles(str(tmp_path), 2, 300, 'uint16x4', 'tiled')
    striped = write_tiles(str(tmp_path), 1, 300, 'uint16x4', 'striped')
    with rasterio.open(tiled[0]) as a, rasterio.open(striped[0]) as b:
        assert a.block_shapes[0] == (256, 256) and a.count == 4
        assert b.block_shapes[0][1] == 300 and b.dtypes[0] == 'uint16'
        np.testing.assert_array_equal(a.read(), b.read())  # same pixels
    stamp = os.stat(tiled[1]).st_mtime_ns
    assert write_tiles(str(tmp_path), 2, 300, 'uint16x4', 'tiled') == tiled
    assert os.stat(tiled[1]).st_mtime_ns == stamp  # kept, not rewritten
    assert not [p for p in os.listdir(tmp_path) if p.endswith('.part.tif')]


def test_one_loader_measurement(tmp_path):
    paths = write_tiles(str(tmp_path), 2, 128, 'rgb8', 'tiled')
    row = run_task(dict(what='loader', paths=paths, patch_size=16,
                        num_windows=64, workers=0, batch_size=16))
    assert row['windows'] == 64 and row['ms_per_window'] > 0
    assert row['main_peak_mb'] >= row['start_mb'] > 0
    table = format_table([dict(row, kind='rgb8', layout='tiled', tiles=2,
                               reader='loader', workers=0)])
    assert table.splitlines()[2].startswith('| 2 | rgb8 | tiled | loader |')


def test_measurement_in_a_fresh_process(tmp_path):
    """measure() runs this library as a script in a new process (it once
    failed there on a package-relative import that run_task never met)."""
    paths = write_tiles(str(tmp_path), 2, 128, 'rgb8', 'tiled')
    row = measure(dict(what='loader', paths=paths, patch_size=16,
                       num_windows=64, workers=0, batch_size=16,
                       windows_per_site=4))
    assert row['windows'] >= 64 and row['main_peak_mb'] > 0
    row = measure(dict(what='rasterio', paths=paths, patch_size=16,
                       num_windows=32))
    assert row['windows'] == 32
