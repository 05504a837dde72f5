"""The GeoTIFF converter on label conventions users bring: 0/255 masks,
coded uint16 land cover, NaN imagery; its summary and its resume."""
import json
import os
import os.path as osp

import numpy as np
import pytest
import rasterio
from _support import read_manifest, write_tif

from false_plugin_cli import geotiff


def _patches(out, kind='ann_dir', split='train'):
    folder = osp.join(out, kind, split)
    return {name: rasterio.open(osp.join(folder, name)).read()
            for name in sorted(os.listdir(folder))}


@pytest.fixture
def road_mask(tmp_path):
    """uint16 multispectral image (4 bands) and a 0/255 road mask."""
    rng = np.random.default_rng(0)
    img = rng.integers(1, 4000, (4, 32, 48), dtype=np.uint16)
    mask = np.zeros((1, 32, 48), np.uint8)
    mask[:, 10:14, :] = 255  # a road across the scene
    return (write_tif(tmp_path / 'img.tif', img),
            write_tif(tmp_path / 'roads.tif', mask))


def test_binary_mask_with_label_map(tmp_path, road_mask, capsys):
    out = str(tmp_path / 'out')
    geotiff.main([*road_mask, out, '--patch-size', '16',
                  '--label-map', '0=0', '255=1'])
    text = capsys.readouterr().out
    assert 'WARNING' not in text
    assert 'train: 6 patches (6 written now, 0 already done)' in text
    assert '0 1,344 (87.5%), 1 192 (12.5%)' in text  # 4 rows x 48 = 192
    labels = _patches(out)
    road = sum(int((p == 1).sum()) for p in labels.values())
    assert road == 192 and all(set(np.unique(p)) <= {0, 1}
                               for p in labels.values())
    # Every image value, dtype and the georeference are kept.
    with rasterio.open(road_mask[0]) as src:
        full, transform = src.read(), src.transform
    with rasterio.open(osp.join(out, 'img_dir/train/img_16_32.tif')) as p:
        assert p.dtypes == ('uint16',) * 4 and p.crs == 'EPSG:32617'
        np.testing.assert_array_equal(p.read(), full[:, 16:32, 32:48])
        assert p.transform == transform @ rasterio.Affine.translation(32, 16)


def test_binary_mask_without_label_map_is_an_error(tmp_path, road_mask,
                                                   capsys):
    """Its 255 pixels (the roads) would silently be ignored: stop before
    writing, print the --label-map to add; --ignore-255 says it is meant."""
    out = str(tmp_path / 'out')
    with pytest.raises(SystemExit) as err:
        geotiff.main([*road_mask, out, '--patch-size', '16',
                      '--num-classes', '2'])
    assert str(err.value) == (
        f'error: {road_mask[1]}: its values are 0 (1,344 px), 255 (192 px): '
        'a binary mask? 255 is the ignore value, so without a label map its '
        '192 px would never be trained on. If 255 is a class, add '
        '--label-map 0=0 255=1; if it means "no label", add --ignore-255. '
        'Nothing was written')
    assert not osp.exists(out)
    geotiff.main([*road_mask, out, '--patch-size', '16', '--min-valid', '0',
                  '--num-classes', '2', '--ignore-255'])
    assert 'ignore value 192 (12.5%)' in capsys.readouterr().out


def test_values_that_are_not_classes_stop_without_a_map(tmp_path):
    """7 and 128 in a 2-class dataset: named with their pixel counts, before
    anything is written; the classes must be known."""
    labels = np.zeros((1, 16, 16), np.uint8)
    labels[0, 0, :3], labels[0, 1, :1] = 7, 128
    image = write_tif(tmp_path / 'img.tif', np.ones((2, 16, 16), np.uint8))
    label = write_tif(tmp_path / 'lab.tif', labels)
    out = str(tmp_path / 'out')
    with pytest.raises(SystemExit) as err:
        geotiff.main([image, label, out, '--patch-size', '8',
                      '--num-classes', '2'])
    assert str(err.value) == (
        f'error: {label}: label values 7 (3 px), 128 (1 px) are not class '
        'indices 0..1 (give a label map RAW=INDEX for coded values); '
        'nothing was written (--unmapped ignore ignores them)')
    assert not osp.exists(out)
    with pytest.raises(SystemExit) as err:  # no class count at all
        geotiff.main([image, label, out])
    assert err.value.code == 2


def test_coded_landcover(tmp_path, capsys):
    """ESA WorldCover-like codes in uint16, with code 300 (a uint8 wrap
    would make it 44) and a nodata value, described in the class table."""
    codes = np.full((1, 16, 32), 10, np.uint16)
    codes[:, :, 16:] = 300
    codes[:, 0, :4] = 0  # the product's nodata
    codes[:, 15, 31] = 95  # a code the table does not know
    img = np.ones((3, 16, 32), np.float32)
    img[:, 8, 0] = np.nan  # NaN imagery, no declared nodata
    image = write_tif(tmp_path / 'img.tif', img)
    label = write_tif(tmp_path / 'wc.tif', codes, nodata=0)
    table = tmp_path / 'classes.csv'
    table.write_text('name,index,r,g,b,value\ntree,0,0,100,0,10\n'
                     'urban,1,250,0,0,300\n')
    out = str(tmp_path / 'out')
    args = [image, label, out, '--patch-size', '16', '--class-table',
            str(table)]
    with pytest.raises(SystemExit) as err:
        geotiff.main(args)
    assert str(err.value) == (
        f'error: {label}: label values 95 (1 px) are not in the label map '
        '(nor the ignore value); nothing was written (--unmapped ignore '
        'ignores them)')
    assert not osp.exists(osp.join(out, 'img_dir'))

    geotiff.main(args + ['--unmapped', 'ignore'])
    text = capsys.readouterr().out
    assert '0 tree 251 (49.0%), 1 urban 255 (49.8%)' in text
    assert ('image nodata 1 (0.2%), label nodata 4 (0.8%), ignore value 0 '
            '(0.0%), unmapped 1 (0.2%)') in text
    labels = _patches(out)
    left, right = labels['img_0_0.tif'][0], labels['img_0_16.tif'][0]
    assert (left[0, :4] == 255).all() and left[8, 0] == 255
    assert right[15, 15] == 255 and (right[:15] == 1).all()
    with rasterio.open(osp.join(out, 'img_dir/train/img_0_0.tif')) as p:
        assert np.isnan(p.read()[:, 8, 0]).all()  # image values unchanged


def test_label_map_and_table_values_conflict(tmp_path, road_mask):
    table = tmp_path / 'classes.csv'
    table.write_text('name,index,r,g,b,value\nbg,0,0,0,0,0\nroad,1,9,9,9,255\n')
    with pytest.raises(SystemExit, match='not both'):
        geotiff.main([*road_mask, str(tmp_path / 'o'), '--class-table',
                      str(table), '--label-map', '0=0'])


def test_resume_keeps_the_summary_and_rejects_other_options(
        tmp_path, road_mask, capsys):
    out = str(tmp_path / 'out')
    args = [*road_mask, out, '--patch-size', '16', '--label-map', '0=0',
            '255=1']
    geotiff.main(args)
    first = capsys.readouterr().out
    marker = osp.join(out, '.done', 'train', 'img.json')
    assert json.load(open(marker))['options']['label_map'] == {'0': 0,
                                                               '255': 1}
    geotiff.main(args)
    again = capsys.readouterr().out
    assert 'train: 6 patches (0 written now, 6 already done)' in again
    assert again.splitlines()[1:] == first.splitlines()[1:]
    swapped = [*road_mask, out, '--patch-size', '16', '--label-map', '0=1',
               '255=0']
    with pytest.raises(SystemExit, match='img.json: tile img was converted '
                       'with .*; add --overwrite to convert it again'):
        geotiff.main(swapped)
    assert all((p == 1).sum() == 0 or p.max() == 1
               for p in _patches(out).values())  # untouched
    geotiff.main(swapped + ['--overwrite'])
    text = capsys.readouterr().out
    assert 'train: 6 patches (6 written now, 0 already done)' in text
    assert '1 tile: converted again (--overwrite)' in text
    road = sum(int((p == 0).sum()) for p in _patches(out).values())
    assert road == 192


def test_whole_region_for_whole_tile_evaluation(tmp_path, road_mask, capsys):
    out = str(tmp_path / 'out')
    geotiff.main([*road_mask, out, '--split', 'test_tiles', '--whole',
                  '--region', '8', '4', '40', '28', '--label-map', '0=0',
                  '255=1'])
    assert 'test_tiles: 1 patches (1 written now' in capsys.readouterr().out
    with rasterio.open(road_mask[0]) as src:
        full, transform = src.read(), src.transform
    with rasterio.open(osp.join(out, 'img_dir/test_tiles/img.tif')) as p:
        assert (p.width, p.height) == (40, 28)
        np.testing.assert_array_equal(p.read(), full[:, 4:32, 8:48])
        assert p.transform == transform @ rasterio.Affine.translation(8, 4)
    label = _patches(out, split='test_tiles')['img.tif'][0]
    assert (label[6:10] == 1).all() and label.sum() == 4 * 40


def _georeferenced(path, array, crs='EPSG:32617', origin=(600000, 4000000),
                   nodata=None):
    """``(C, H, W)`` as a GeoTIFF with 30 m pixels at ``origin``."""
    with rasterio.open(
            path, 'w', driver='GTiff', width=array.shape[2],
            height=array.shape[1], count=array.shape[0], dtype=array.dtype,
            nodata=nodata, crs=crs,
            transform=rasterio.transform.from_origin(*origin, 30, 30)) as dst:
        dst.write(array)
    return str(path)


@pytest.mark.parametrize('crs, origin, grid', [
    ('EPSG:32617', (600000 + 100 * 30, 4000000),
     'EPSG:32617, origin (603000, 4000000), pixel 30 x -30'),
    ('EPSG:32618', (600000, 4000000),
     'EPSG:32618, origin (600000, 4000000), pixel 30 x -30'),
], ids=['shifted 100 px', 'other CRS'])
def test_a_label_on_another_grid_is_refused(tmp_path, crs, origin, grid):
    """Same size, but shifted or in another CRS: both grids named, nothing
    written."""
    image = _georeferenced(tmp_path / 'img.tif', np.ones((3, 32, 32),
                                                         np.uint8))
    label = _georeferenced(tmp_path / 'lab.tif', np.zeros((1, 32, 32),
                                                          np.uint8),
                           crs=crs, origin=origin)
    out = tmp_path / 'out'
    with pytest.raises(SystemExit) as err:
        geotiff.main([image, label, str(out), '--patch-size', '16',
                      '--num-classes', '2'])
    assert str(err.value) == (
        f'error: {label}: the label is not on the grid of its image: label '
        f'32x32 px, {grid}; image {image}: 32x32 px, EPSG:32617, origin '
        '(600000, 4000000), pixel 30 x -30')
    assert not out.exists()


def test_rasters_without_georeference_are_compared_by_size(tmp_path,
                                                            capsys):
    image, label = str(tmp_path / 'img.tif'), str(tmp_path / 'lab.tif')
    for path, count in ((image, 2), (label, 1)):
        with rasterio.open(path, 'w', driver='GTiff', width=32, height=16,
                           count=count, dtype='uint8') as dst:
            dst.write(np.ones((count, 16, 32), np.uint8))
    geotiff.main([image, label, str(tmp_path / 'out'), '--patch-size', '16',
                  '--num-classes', '2'])
    text = capsys.readouterr().out
    assert '1 tile: compared by size only (no georeference)' in text


def test_scenes_converted_one_call_each_are_all_in_the_manifest(tmp_path):
    """The docs' way: one call per scene into one dataset root."""
    out = str(tmp_path / 'out')
    for i in range(3):
        image = _georeferenced(tmp_path / f'scene{i}.tif',
                               np.full((2, 16, 32), i + 1, np.uint16))
        label = _georeferenced(tmp_path / f'label{i}.tif',
                               np.full((1, 16, 32), i % 2, np.uint8))
        geotiff.main([image, label, out, '--patch-size', '16',
                      '--num-classes', '2'], )
    rows = read_manifest(out, 'train')
    assert [r['patch'] for r in rows] == [
        f'scene{i}_0_{col}' for i in range(3) for col in (0, 16)]


def test_a_label_corrected_in_place_is_converted_again(tmp_path, capsys):
    """The marker records the files' size and time: the corrected label is
    converted again, and a patch it no longer allows is removed."""
    image = _georeferenced(tmp_path / 'img.tif', np.ones((1, 16, 48),
                                                         np.uint8))
    labels = np.zeros((1, 16, 48), np.uint8)
    label = _georeferenced(tmp_path / 'lab.tif', labels, nodata=9)
    out = str(tmp_path / 'out')
    args = [image, label, out, '--patch-size', '16', '--num-classes', '2']
    geotiff.main(args)
    labels[0, :, :16] = 1
    labels[0, :, 32:] = 9  # nodata: that patch is not written any more
    _georeferenced(label, labels, nodata=9)
    stat = os.stat(label)
    os.utime(label, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    capsys.readouterr()
    geotiff.main(args)
    text = capsys.readouterr().out
    assert ('train: 2 patches (2 written now, 0 already done), 1 not '
            'written (under 50% labelled pixels)') in text
    assert ('1 tile: converted again: its source files changed since they '
            'were converted') in text
    assert sorted(_patches(out)) == ['img_0_0.tif', 'img_0_16.tif']
    assert (_patches(out)['img_0_0.tif'] == 1).all()
    assert [r['patch'] for r in read_manifest(out, 'train')] == [
        'img_0_0', 'img_0_16']


def test_an_all_nodata_image_counts_the_pixels_it_did_not_write(
        tmp_path, capsys):
    image = _georeferenced(tmp_path / 'img.tif',
                           np.full((3, 16, 32), np.nan, np.float32))
    label = _georeferenced(tmp_path / 'lab.tif', np.zeros((1, 16, 32),
                                                          np.uint8))
    geotiff.main([image, label, str(tmp_path / 'out'), '--patch-size', '16',
                  '--num-classes', '2'])
    text = capsys.readouterr().out
    assert ('train: 0 patches (0 written now, 0 already done), 2 not '
            'written (under 50% labelled pixels)') in text
    assert ('pixels of the patches not written: labelled 0 (0.0%), image '
            'nodata 512 (100.0%), label nodata 0 (0.0%)') in text
    assert 'WARNING: train: no patch was written' in text


@pytest.mark.parametrize('extra, message', [
    (['--stride', '0'], '--stride must be positive, got 0'),
    (['--stride', '-5'], '--stride must be positive, got -5'),
    (['--patch-size', '0'], '--patch-size must be positive, got 0'),
    (['--min-valid', '1.5'], '--min-valid must be in [0, 1], got 1.5'),
    (['--region', '0', '0', '0', '8'],
     '--region 0 0 0 8: COL and ROW must be >= 0, WIDTH and HEIGHT '
     'positive'),
    (['--num-classes', '0'], '--num-classes must be positive, got 0'),
], ids=['stride 0', 'stride -5', 'patch 0', 'min-valid', 'region',
        'num-classes'])
def test_argument_errors_exit_2(tmp_path, road_mask, capsys, extra,
                                message):
    with pytest.raises(SystemExit) as err:
        geotiff.main([*road_mask, str(tmp_path / 'out'), '--label-map',
                      '0=0', '255=1', *extra])
    assert err.value.code == 2
    assert f'geotiff.py: error: {message}\n' in capsys.readouterr().err
    assert not (tmp_path / 'out').exists()


def test_grid_comparison_tolerance_and_notes(tmp_path):
    """A hundredth of a pixel is the same grid, a tenth is not; a file
    without georeference is compared by size, and the note says which."""
    from false_plugin.conversion.patching import check_same_grid
    data = np.zeros((1, 8, 8), np.uint8)
    image = _georeferenced(tmp_path / 'img.tif', data)
    near = _georeferenced(tmp_path / 'near.tif', data,
                          origin=(600000 + 0.003 * 30, 4000000))
    far = _georeferenced(tmp_path / 'far.tif', data,
                         origin=(600000 + 0.1 * 30, 4000000))
    plain = str(tmp_path / 'plain.tif')
    with rasterio.open(plain, 'w', driver='GTiff', width=8, height=8,
                       count=1, dtype='uint8') as dst:
        dst.write(data)
    assert check_same_grid(image, near) is None
    with pytest.raises(ValueError, match='origin'):
        check_same_grid(image, far)
    assert check_same_grid(image, plain) == (
        'compared by size only (the label has no georeference)')
    assert check_same_grid(plain, image) == (
        'compared by size only (the image has no georeference)')
    assert check_same_grid(plain, plain) == (
        'compared by size only (no georeference)')


def test_whole_region_outside_the_raster_is_refused(tmp_path, road_mask):
    out = tmp_path / 'out'
    with pytest.raises(SystemExit, match=r'\(40, 4, 40, 28\) is outside '
                       'the 48x32 raster'):
        geotiff.main([*road_mask, str(out), '--split', 'test_tiles',
                      '--whole', '--region', '40', '4', '40', '28',
                      '--label-map', '0=0', '255=1'])
    assert not (out / 'img_dir' / 'test_tiles' / 'img.tif').exists()
