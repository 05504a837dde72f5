"""GeoTIFF converter and label-fraction splits, end to end: interrupted
conversions refused by name, then finished."""
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import rasterio
from _support import REPO_ROOT, read_manifest, run_repo_tool

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


def test_convert_resume_and_split(tmp_path, scene_files, capsys):
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
    from false_plugin_cli import make_split
    capsys.readouterr()
    make_split.main([out, '--suffix', '.tif', '--fractions', '0.5', '--seed',
                     '1'])
    assert capsys.readouterr().out == proc.stdout
    assert open(os.path.join(out, 'splits',
                             'train_50pct.txt')).read() == split


def test_convert_size_mismatch(tmp_path, scene_files):
    small = str(tmp_path / 'small.tif')
    with rasterio.open(small, 'w', driver='GTiff', width=8, height=8,
                       count=1, dtype='uint8') as dst:
        dst.write(np.zeros((1, 8, 8), np.uint8))
    from false_plugin_cli import geotiff
    with pytest.raises(SystemExit) as err:
        geotiff.main([scene_files[0], small, str(tmp_path / 'o'),
                      '--num-classes', '4'])
    assert str(err.value) == (
        f'error: {small}: the label is not on the grid of its image: label '
        f'8x8 px, no georeference; image {scene_files[0]}: 48x40 px, '
        'EPSG:32617, origin (0, 400), pixel 10 x -10')
    assert not (tmp_path / 'o').exists()


def test_split_sizes():
    from false_plugin.conversion.splits import make_subset, split_name
    stems = [f'p{i}' for i in range(13824)]
    assert len(make_subset(stems, 0.01, 0)) == 138
    assert make_subset(stems, 0.01, 0) == make_subset(stems, 0.01, 0)
    assert make_subset(stems, 0.01, 0) != make_subset(stems, 0.01, 1)
    assert split_name(0.01) == '1pct' and split_name(0.005) == '0.5pct'


def _scene(tmp_path, size=(64, 64), bands=2):
    """A striped, uncompressed uint16 image and a 2-class label."""
    height, width = size
    rng = np.random.default_rng(0)
    paths = []
    for name, data in (
            ('img.tif', rng.integers(1, 999, (bands, height, width),
                                     dtype=np.uint16)),
            ('lab.tif', rng.integers(0, 2, (1, height, width),
                                     dtype=np.uint8))):
        path = str(tmp_path / name)
        with rasterio.open(
                path, 'w', driver='GTiff', width=width, height=height,
                count=data.shape[0], dtype=data.dtype, crs='EPSG:32617',
                transform=rasterio.transform.from_origin(0, 0, 1, 1)) as dst:
            dst.write(data)
        paths.append(path)
    table = tmp_path / 'classes.csv'
    table.write_text('name,index,r,g,b\nbg,0,0,0,0\nfg,1,255,0,0\n')
    return paths, str(table)


def test_a_tile_left_unfinished_is_refused_then_restarted(tmp_path, capsys):
    """A read error half-way (a truncated file): the tile stays unfinished,
    make_split and the dataset refuse it by name; once the file is whole
    again the next run removes its patches and converts it cleanly."""
    from false_plugin.datasets import RSSegDataset
    from false_plugin_cli import geotiff, make_split
    (image, label), table = _scene(tmp_path)
    whole = open(image, 'rb').read()
    with open(image, 'wb') as f:
        f.write(whole[:len(whole) * 2 // 3])  # rows 32.. are cut off
    out = str(tmp_path / 'out')
    args = [image, label, out, '--patch-size', '16', '--class-table', table]
    with pytest.raises(SystemExit) as err:
        geotiff.main(args)
    assert str(err.value).startswith(f'error: {image}: cannot be read by '
                                     'GDAL: ')
    assert 'TIFFReadEncodedStrip' in str(err.value)
    assert 'See previous exception' not in str(err.value)
    assert osp.exists(osp.join(out, '.done/train/img.started'))
    assert not osp.exists(osp.join(out, '.done/train/img.json'))
    assert len(os.listdir(osp.join(out, 'img_dir/train'))) == 8

    refused = (f'{out}: 1 tile(s) were left unfinished by an interrupted '
               'conversion: train/img; run the converter again to finish '
               'them')
    with pytest.raises(SystemExit) as err:
        make_split.main([out, '--suffix', '.tif', '--fractions', '0.5'])
    assert str(err.value) == f'error: {refused}'
    assert not osp.exists(osp.join(out, 'splits'))
    with pytest.raises(RuntimeError) as err:
        RSSegDataset(data_root=out, data_prefix=dict(
            img_path='img_dir/train', seg_map_path='ann_dir/train'))
    assert str(err.value) == refused

    with open(image, 'wb') as f:
        f.write(whole)
    capsys.readouterr()
    geotiff.main(args)
    text = capsys.readouterr().out
    assert 'train: 16 patches (16 written now, 0 already done)' in text
    assert '1 tile: restarted: left unfinished by an earlier run' in text
    assert not osp.exists(osp.join(out, '.done/train/img.started'))
    assert len(read_manifest(out, 'train')) == 16
    dataset = RSSegDataset(data_root=out, data_prefix=dict(
        img_path='img_dir/train', seg_map_path='ann_dir/train'))
    assert len(dataset) == 16


def test_a_killed_conversion_is_refused_then_finished(tmp_path):
    """SIGKILL half-way through a scene; then the same command again."""
    (image, label), table = _scene(tmp_path, (256, 256), bands=1)
    out = str(tmp_path / 'out')
    args = [image, label, out, '--patch-size', '8', '--class-table', table]
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    proc = subprocess.Popen([sys.executable, SCRIPT, *args], cwd=REPO_ROOT,
                            env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    patches = osp.join(out, 'img_dir', 'train')
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline and not (
            osp.isdir(patches) and len(os.listdir(patches)) >= 20):
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()
    written = len(os.listdir(patches))
    assert 20 <= written < 1024
    assert osp.exists(osp.join(out, '.done/train/img.started'))
    from false_plugin_cli import geotiff, make_split
    with pytest.raises(SystemExit, match='train/img; run the converter '
                       'again'):
        make_split.main([out, '--suffix', '.tif'])

    geotiff.main(args)
    assert len(read_manifest(out, 'train')) == 32 * 32
    names = os.listdir(patches)
    assert len(names) == 32 * 32 and not [n for n in names if '.part' in n]
    assert not osp.exists(osp.join(out, '.done/train/img.started'))


#: Modules that must not be imported before the arguments are parsed.
STACK = ('torch', 'mmengine', 'rasterio', 'numpy', 'cv2', 'false_plugin')


def _run_listing_imports(args):
    """Run a tool with ``-X importtime``: returns (exit code, stdout,
    stderr, the top-level names of every module it imported)."""
    proc = subprocess.run([sys.executable, '-X', 'importtime', *args],
                          cwd=REPO_ROOT, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=REPO_ROOT),
                          timeout=120)
    imported = {line.rsplit('|', 1)[1].strip().split('.')[0]
                for line in proc.stderr.splitlines()
                if line.startswith('import time:') and '|' in line}
    return proc.returncode, proc.stdout, proc.stderr, imported


#: Each converter with its positional (and required) arguments.
CONVERTERS = {
    'tools/dataset_converters/geotiff.py': ['img.tif', 'lab.tif', 'out'],
    'tools/dataset_converters/potsdam.py': ['isprs'],
    'tools/dataset_converters/deepglobe.py': ['train'],
    'tools/dataset_converters/tile_folders.py': [
        'src', 'out', '--images', '*', '--mask-from', 'a=b', '--split',
        't=1', '--class-table', 'classes.csv'],
}


@pytest.mark.parametrize('tool', [*CONVERTERS, 'tools/make_split.py'])
def test_help_and_usage_errors_need_no_stack(tool):
    """``--help`` and argument errors come before the stack is imported
    (so in well under a second)."""
    code, out, _, imported = _run_listing_imports([tool, '--help'])
    assert code == 0 and out.startswith('usage: ')
    assert not imported & set(STACK), imported & set(STACK)
    if tool not in CONVERTERS:
        return
    for bad in (['--patch-size', '0'], ['--stride', '-5']):
        code, _, err, imported = _run_listing_imports(
            [tool, *CONVERTERS[tool], *bad])
        assert code == 2
        assert f'error: {bad[0]} must be positive, got {bad[1]}\n' in err
        assert not imported & set(STACK)
