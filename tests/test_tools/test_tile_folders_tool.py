"""``tools/dataset_converters/tile_folders.py`` run as a script on folders in
the Dubai MBRSC layout: splits by tile, whole tiles, the summary, PNG
patches, resume, the record of the splits, argument and file errors."""
import json
import os
import os.path as osp
import re
import shutil

import cv2
import numpy as np
import pytest
from _support import (DUBAI_CLASS_TABLE, UNLABELED, read_bands,
                      read_manifest, run_cli_without_stack, run_repo_tool,
                      write_dubai_tiles)

from false_plugin.datasets import read_raster

TOOL = 'tools/dataset_converters/tile_folders.py'
LAYOUT_ARGS = ['--images', 'Tile */images/*.jpg', '--mask-from',
               'images/=masks/', '.jpg=.png', '--group', r'^Tile (\d+)/']
COLOUR_ARGS = LAYOUT_ARGS + [
    '--mask-colors', '--ignore-colors', 'unlabeled=155,155,155',
    'black=0,0,0']
SPLITS = ['--split', 'train=1', '--split', 'val=2', '--split',
          'test_tiles=3', '--whole', 'test_tiles']
#: The splits of :data:`SPLITS` with 32 px patches, as the tool reports them.
SPLITS_DESCRIBED = ('train: groups 1 (32 px patches, stride 32); val: groups '
                    '2 (32 px patches, stride 32); test_tiles: groups 3 '
                    '(whole tiles)')


def _summary(stdout, split):
    """The three summary lines the tool prints for ``split``."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines)
                 if line.startswith(f'{split}: ') and 'patches' in line)
    return '\n'.join(lines[start:start + 3])


def _args(src, out, table, *extra):
    return [TOOL, str(src), str(out), *COLOUR_ARGS, '--class-table',
            str(table), *extra]


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    """Tiles 1-4, two 70 x 45 parts each (Tile 2's first mask paletted),
    converted once: train = Tile 1, val = Tile 2 (32 px patches), test_tiles
    = Tile 3 whole; Tile 4 in no split."""
    tmp = tmp_path_factory.mktemp('tile_folders')
    src, out, table = tmp / 'Semantic segmentation dataset', tmp / 'out', \
        tmp / 'classes.csv'
    table.write_text(DUBAI_CLASS_TABLE)
    codes = write_dubai_tiles(src, {1: 2, 2: 2, 3: 2, 4: 2},
                              paletted=[(2, 1)])
    proc = run_repo_tool(_args(src, out, table, *SPLITS, '--patch-size', '32',
                               '--stride', '32'))
    return dict(src=src, out=out, table=table, codes=codes,
                stdout=proc.stdout)


def test_reports_tiles_splits_and_the_set_aside(converted):
    first = converted['stdout'].splitlines()[0]
    assert first == (
        f'{converted["src"]}: 8 tiles in 4 groups; train: 2 tiles (groups 1);'
        ' val: 2 tiles (groups 2); test_tiles: 2 tiles (groups 3); set aside '
        '(no split): 2 tiles of groups 4')
    assert '[val 2/2] Tile 2/images/image_part_002.jpg: converted' in \
        converted['stdout']
    assert open(osp.join(converted['out'], 'classes.csv')).read() == \
        DUBAI_CLASS_TABLE


def test_val_patches_come_from_tile_2_only(converted):
    out = converted['out']
    rows = read_manifest(out, 'val')
    assert {r['source'] for r in rows} == {
        'Tile 2/images/image_part_001.jpg', 'Tile 2/images/image_part_002.jpg'}
    assert len(rows) == 4  # two 32 px patches in each 70 x 45 part
    assert all(re.fullmatch(r'Tile_2_images_image_part_00[12]_0_(0|32)',
                            r['patch']) for r in rows)
    patches = sorted(f'{r["patch"]}.tif' for r in rows)
    for kind in ('img_dir', 'ann_dir'):
        assert sorted(os.listdir(osp.join(out, kind, 'val'))) == patches
    # No tile of the set-aside group 4 anywhere.
    assert not any('Tile_4' in name for _, _, names in os.walk(out)
                   for name in names)


def test_label_patches_are_the_class_indices(converted):
    out, codes = converted['out'], converted['codes']
    for split in ('train', 'val'):
        for row in read_manifest(out, split):
            col, top = int(row['col']), int(row['row'])
            expected = codes[row['source']][top:top + 32, col:col + 32]
            expected = np.where(expected >= UNLABELED, 255, expected)
            label = read_bands(osp.join(out, 'ann_dir', split,
                                   f'{row["patch"]}.tif'))
            np.testing.assert_array_equal(label[0], expected)


def test_summary_counts_each_ignored_colour_by_name(converted):
    val = _summary(converted['stdout'], 'val')
    assert val.splitlines()[0] == ('val: 4 patches (4 written now, 0 already '
                                   'done)')
    # 12 Unlabeled and 10 black pixels planted in each part's patches.
    assert 'colour unlabeled 24 (0.6%), colour black 20 (0.5%)' in val
    assert 'ignore value 0 (0.0%)' in val
    parts = [converted['codes'][f'Tile 2/images/image_part_00{n}.jpg']
             for n in (1, 2)]
    land = sum(int((codes[:32, :64] == 1).sum()) for codes in parts)
    assert f'1 land {land:,} (' in val


def test_whole_split_is_one_file_per_tile(converted):
    out, src = converted['out'], converted['src']
    names = sorted(os.listdir(osp.join(out, 'img_dir', 'test_tiles')))
    assert names == ['Tile_3_images_image_part_001.tif',
                     'Tile_3_images_image_part_002.tif']
    assert sorted(os.listdir(osp.join(out, 'ann_dir', 'test_tiles'))) == names
    for part in (1, 2):
        name = f'Tile_3_images_image_part_00{part}.tif'
        image = read_bands(osp.join(out, 'img_dir', 'test_tiles', name))
        source = read_bands(src / f'Tile 3/images/image_part_00{part}.jpg')
        assert image.shape == source.shape == (3, 45, 70)
        np.testing.assert_array_equal(image, source)
    assert 'test_tiles: 2 patches (2 written now' in converted['stdout']
    # The strips no 32 px patch covers count too.
    assert 'colour unlabeled 44 (0.7%), colour black 36 (0.6%)' in _summary(
        converted['stdout'], 'test_tiles')


def test_rerun_skips_finished_tiles(converted, tmp_path):
    out = tmp_path / 'out'
    shutil.copytree(converted['out'], out)
    proc = run_repo_tool(_args(converted['src'], out, converted['table'],
                               *SPLITS, '--patch-size', '32'))
    assert proc.stdout.count(': already done') == 6
    assert ': converted' not in proc.stdout
    assert 'val: 4 patches (0 written now, 4 already done)' in proc.stdout
    for split in ('train', 'val', 'test_tiles'):
        assert read_manifest(out, split) == read_manifest(converted['out'],
                                                          split)
        assert _summary(proc.stdout, split).splitlines()[1:] == _summary(
            converted['stdout'], split).splitlines()[1:]


def test_unknown_colour_names_the_file_and_colour(tmp_path):
    src, table = tmp_path / 'src', tmp_path / 'classes.csv'
    table.write_text(DUBAI_CLASS_TABLE)
    write_dubai_tiles(src, {1: 1})
    mask = src / 'Tile 1/masks/image_part_001.png'
    bgr = cv2.imread(str(mask))
    bgr[30, 30:32] = 255  # white: in the palette of Dubai's Tile 2 masks
    cv2.imwrite(str(mask), bgr)
    with pytest.raises(AssertionError) as err:
        run_repo_tool(_args(src, tmp_path / 'out', table, '--split',
                            'train=1', '--patch-size', '32'))
    assert ('exited 1' in str(err.value) and
            f'error: {mask}: colours not in the palette: (255, 255, 255): '
            '2 px' in str(err.value))
    assert 'Traceback' not in str(err.value)
    assert not (tmp_path / 'out/img_dir').exists()  # read before writing


@pytest.mark.parametrize('extra, message', [
    (['--split', 'train=1,2', '--split', 'val=2'],
     "error: group '2' is in the splits train and val"),
])
def test_data_errors_write_nothing(tmp_path, extra, message):
    src, table = tmp_path / 'src', tmp_path / 'classes.csv'
    table.write_text(DUBAI_CLASS_TABLE)
    write_dubai_tiles(src, {1: 1, 2: 1})
    with pytest.raises(AssertionError) as err:
        run_repo_tool(_args(src, tmp_path / 'out', table, *extra))
    assert message in str(err.value)
    assert 'Traceback' not in str(err.value)
    assert not (tmp_path / 'out').exists()


@pytest.mark.parametrize('extra, message', [
    (['--split', 'train=1', '--patch-size', '0'],
     '--patch-size must be positive, got 0'),
    (['--split', 'train'], '--split "train" is not NAME=G1,G2'),
    (['--split', 'train=1,'], '--split "train=1," is not NAME=G1,G2'),
    (['--split', 'train=1', '--whole', 'test'],
     "--whole ['test']: not among the splits ['train']"),
    (['--split', 'train=1', '--split', 'val=2', '--split', 'train=3'],
     '--split train is given twice; list all its groups in one: '
     'train=1,3'),
    (['--split', 'train=1', '--label-map', '0=0'],
     '--label-map maps the values of value masks; colour masks '
     "(--mask-colors) take their classes from the class table's colours"),
], ids=['patch size', 'no groups', 'empty group', 'whole unknown',
        'split twice', 'label map of colour masks'])
def test_argument_errors_come_before_the_plugin_import(tmp_path, extra,
                                                       message):
    """Usage errors (exit 2) with the stack (``false_plugin``, torch, numpy,
    mmengine) unimportable: nothing is read, imported or written first."""
    with pytest.raises(AssertionError) as err:
        run_cli_without_stack(
            'tile_folders', *_args(tmp_path / 'src', tmp_path / 'out',
                                   tmp_path / 'classes.csv', *extra)[1:])
    assert 'exited 2' in str(err.value)
    assert f'tile_folders.py: error: {message}\n' in str(err.value)
    assert 'Traceback' not in str(err.value)
    assert not (tmp_path / 'out').exists()


def test_the_split_assignment_is_recorded(converted):
    with open(osp.join(converted['out'], 'tile_splits.json')) as f:
        assert json.load(f) == {
            'train': dict(groups=['1'], whole=False, patch_size=32,
                          stride=32),
            'val': dict(groups=['2'], whole=False, patch_size=32, stride=32),
            'test_tiles': dict(groups=['3'], whole=True, patch_size=None,
                               stride=None)}


def _files(root):
    """Every file under ``root`` -> its modification time."""
    return {osp.join(d, n): os.stat(osp.join(d, n)).st_mtime_ns
            for d, _, names in os.walk(root) for n in names}


@pytest.mark.parametrize('splits, new', [
    (['--split', 'train=1,2', '--split', 'test_tiles=3', '--whole',
      'test_tiles', '--patch-size', '32'],
     'train: groups 1, 2 (32 px patches, stride 32); test_tiles: groups 3 '
     '(whole tiles)'),
    ([*SPLITS, '--patch-size', '16'],
     'train: groups 1 (16 px patches, stride 16); val: groups 2 (16 px '
     'patches, stride 16); test_tiles: groups 3 (whole tiles)'),
], ids=['tile 2 to train', 'patch size'])
def test_rerun_with_another_assignment_writes_nothing(converted, tmp_path,
                                                      splits, new):
    """Tile 2 moved from val to train would leave its val patches and
    manifest in place: a tile in two splits. Refused, naming the record."""
    out = tmp_path / 'out'
    shutil.copytree(converted['out'], out)
    (out / 'classes.csv').write_text('not copied again\n')
    before = _files(out)
    with pytest.raises(AssertionError) as err:
        run_repo_tool(_args(converted['src'], out, converted['table'],
                            *splits))
    assert 'exited 1' in str(err.value)
    assert (f'error: {out / "tile_splits.json"}: this folder was converted '
            f'with the splits {SPLITS_DESCRIBED}, not {new}; ') in str(
                err.value)
    assert 'convert into a new folder' in str(err.value)
    assert 'Traceback' not in str(err.value)
    assert _files(out) == before
    assert (out / 'classes.csv').read_text() == 'not copied again\n'


def test_png_format_patches_equal_the_tif_ones(converted, tmp_path):
    out = tmp_path / 'out'
    proc = run_repo_tool(_args(converted['src'], out, converted['table'],
                               *SPLITS, '--patch-size', '32', '--format',
                               'png'))
    for split in ('train', 'val', 'test_tiles'):
        rows = read_manifest(out, split)
        assert rows == read_manifest(converted['out'], split) and rows
        for kind in ('img_dir', 'ann_dir'):
            assert sorted(os.listdir(out / kind / split)) == sorted(
                f'{r["patch"]}.png' for r in rows)
            for row in rows:
                png, _ = read_raster(
                    str(out / kind / split / f'{row["patch"]}.png'),
                    dtype=None)
                tif, _ = read_raster(
                    osp.join(converted['out'], kind, split,
                             f'{row["patch"]}.tif'), dtype=None)
                assert png.dtype == tif.dtype == np.uint8
                np.testing.assert_array_equal(png, tif)
        assert _summary(proc.stdout, split) == _summary(converted['stdout'],
                                                        split)


def test_value_column_and_label_map_is_an_error(tmp_path):
    src, table = tmp_path / 'src', tmp_path / 'classes.csv'
    lines = DUBAI_CLASS_TABLE.splitlines()
    table.write_text('\n'.join([lines[0] + ',value'] + [
        f'{line},{10 * i}' for i, line in enumerate(lines[1:], 1)]) + '\n')
    write_dubai_tiles(src, {1: 1})
    with pytest.raises(AssertionError) as err:  # value masks: no colours
        run_repo_tool([TOOL, str(src), str(tmp_path / 'out'), *LAYOUT_ARGS,
                       '--class-table', str(table), '--split', 'train=1',
                       '--patch-size', '32', '--label-map', '0=0'])
    assert (f'error: {table} has a value column: give the label map there '
            'or with --label-map, not both') in str(err.value)
    assert 'Traceback' not in str(err.value)
    assert not (tmp_path / 'out').exists()


def test_unreadable_image_is_an_error_naming_it(tmp_path):
    src, table = tmp_path / 'src', tmp_path / 'classes.csv'
    table.write_text(DUBAI_CLASS_TABLE)
    write_dubai_tiles(src, {1: 1})
    image = src / 'Tile 1/images/image_part_001.jpg'
    image.write_text('not a JPEG\n')
    with pytest.raises(AssertionError) as err:
        run_repo_tool(_args(src, tmp_path / 'out', table, '--split',
                            'train=1', '--patch-size', '32'))
    assert 'exited 1' in str(err.value)
    assert f'error: {image}: cannot be read by GDAL: ' in str(err.value)
    assert 'Traceback' not in str(err.value)
