"""GeoTIFF converter and label-fraction splits."""
import os

import numpy as np
import pytest
import rasterio
from _support import run_repo_tool

SCRIPT = 'tools/dataset_converters/geotiff.py'


@pytest.fixture
def scene_files(tmp_path):
    rng = np.random.default_rng(0)
    img = rng.uniform(0, 255, (3, 40, 48)).astype(np.float32)
    img[:, :, :8] = -99999
    label = rng.integers(0, 4, (1, 40, 48)).astype(np.uint8)
    paths = []
    for name, data, nodata in (('img.tif', img, -99999),
                               ('lab.tif', label, None)):
        path = str(tmp_path / name)
        with rasterio.open(
                path, 'w', driver='GTiff', width=48, height=40,
                count=data.shape[0], dtype=data.dtype, nodata=nodata,
                crs='EPSG:32617',
                transform=rasterio.transform.from_origin(0, 400, 10,
                                                         10)) as dst:
            dst.write(data)
        paths.append(path)
    return paths


def test_convert_resume_and_split(tmp_path, scene_files):
    out = str(tmp_path / 'out')
    args = [SCRIPT, *scene_files, out, '--patch-size', '16', '--stride',
            '16', '--min-valid', '0.9', '--num-classes', '4']
    proc = run_repo_tool(args)
    # 3 x 2 windows; the 2 on the left edge are half nodata.
    assert ('train: 4 patches (4 written now, 0 already done), 2 not '
            'written (under 90% labelled pixels)') in proc.stdout
    names = sorted(os.listdir(os.path.join(out, 'img_dir', 'train')))
    assert names == [
        'img_0_16.tif', 'img_0_32.tif', 'img_16_16.tif', 'img_16_32.tif'
    ]
    with rasterio.open(os.path.join(out, 'img_dir/train/img_0_16.tif')) as p:
        assert p.count == 3 and p.dtypes[0] == 'float32'
        assert p.transform.c == 160 and p.transform.f == 400  # georeferenced
    manifest = open(os.path.join(out, 'manifest_train.csv')).read()
    assert 'img_16_16,' in manifest and ',16,16,16,16' in manifest

    proc = run_repo_tool(args)
    assert 'train: 4 patches (0 written now, 4 already done)' in proc.stdout

    proc = run_repo_tool(['tools/make_split.py', out, '--suffix', '.tif',
                          '--fractions', '0.5', '--seed', '1'])
    split = open(os.path.join(out, 'splits', 'train_50pct.txt')).read()
    assert len(split.split()) == 2
    again = run_repo_tool(['tools/make_split.py', out, '--suffix', '.tif',
                           '--fractions', '0.5', '--seed', '1'])
    assert again.stdout == proc.stdout
    assert open(os.path.join(out, 'splits',
                             'train_50pct.txt')).read() == split


def test_convert_size_mismatch(tmp_path, scene_files):
    small = str(tmp_path / 'small.tif')
    with rasterio.open(small, 'w', driver='GTiff', width=8, height=8,
                       count=1, dtype='uint8') as dst:
        dst.write(np.zeros((1, 8, 8), np.uint8))
    with pytest.raises(AssertionError) as err:
        run_repo_tool([SCRIPT, scene_files[0], small, str(tmp_path / 'o'),
                       '--num-classes', '4'])
    assert (f'error: {small}: the label is not on the grid of its image: '
            f'label 8x8 px, no georeference; image {scene_files[0]}: 48x40 '
            'px, EPSG:32617, origin (0, 400), pixel 10 x -10') in str(
                err.value)
    assert not (tmp_path / 'o').exists()


def test_split_sizes():
    from false_plugin.conversion.splits import make_subset, split_name
    stems = [f'p{i}' for i in range(13824)]
    assert len(make_subset(stems, 0.01, 0)) == 138
    assert make_subset(stems, 0.01, 0) == make_subset(stems, 0.01, 0)
    assert make_subset(stems, 0.01, 0) != make_subset(stems, 0.01, 1)
    assert split_name(0.01) == '1pct' and split_name(0.005) == '0.5pct'
