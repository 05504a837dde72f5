"""Folders of labelled tiles (the Dubai MBRSC layout) cut into a dataset:
pairing, groups to splits, colour and value masks, ignore counts, PNG
patches, unreadable images, resume and the record of the splits."""
import json
import os
import re

import cv2
import numpy as np
import pytest
import rasterio
from _support import (BLACK, DUBAI_COLORS, UNLABELED, read_bands,
                      read_manifest, write_dubai_tiles, write_tif)

from false_plugin.datasets import RasterReadError, read_raster
from false_plugin.conversion.tile_folders import (TileFolderConverter,
                                                assign_splits,
                                                expand_colormap,
                                                find_tile_pairs, parse_colors,
                                                parse_substitutions,
                                                record_split_assignment,
                                                split_assignment)

IMAGES = 'Tile */images/*.jpg'
MASK_FROM = [('images/', 'masks/'), ('.jpg', '.png')]
GROUP = r'^Tile (\d+)/'
IGNORE = {'unlabeled': DUBAI_COLORS[UNLABELED], 'black': DUBAI_COLORS[BLACK]}


def _index_map(codes):
    """The class indices a colour-code map must give (255: no class)."""
    return np.where(codes >= UNLABELED, 255, codes).astype(np.uint8)


def _window(row):
    return tuple(int(row[k]) for k in ('col', 'row', 'width', 'height'))


def _cut(array, window):
    col, row, width, height = window
    return array[..., row:row + height, col:col + width]


def _colour_converter(root, out, **kwargs):
    return TileFolderConverter(str(root), str(out), 5,
                               palette=DUBAI_COLORS[:5], ignore_colors=IGNORE,
                               **kwargs)


def _pairs(root):
    return find_tile_pairs(str(root), IMAGES, MASK_FROM, GROUP)


@pytest.fixture
def dubai(tmp_path):
    """Tiles 1-3 (two parts in Tile 1), 70 x 45 px; Tile 2's mask is a
    paletted PNG. Returns the source root and the colour codes by image."""
    root = tmp_path / 'src'
    codes = write_dubai_tiles(root, {1: 2, 2: 1, 3: 1}, paletted=[(2, 1)])
    return root, codes


def test_parse_substitutions_and_colors():
    assert parse_substitutions(['images/=masks/', '.jpg=.png']) == MASK_FROM
    assert parse_substitutions(['_sat.jpg=_mask.png', 'x=']) == [
        ('_sat.jpg', '_mask.png'), ('x', '')]
    for bad in ('images/', '=masks/'):
        with pytest.raises(ValueError, match='is not OLD=NEW'):
            parse_substitutions([bad])
    assert parse_colors(['unlabeled=155,155,155', '0,0,0']) == {
        'unlabeled': (155, 155, 155), '(0, 0, 0)': (0, 0, 0)}
    for bad in ('x=1,2', 'x=1,2,256', 'x=a,b,c', 'x=1,2,3,4'):
        with pytest.raises(ValueError, match=r'is not \[NAME=\]R,G,B'):
            parse_colors([bad])


def test_find_tile_pairs_in_the_dubai_layout(dubai):
    root, _ = dubai
    pairs = _pairs(root)
    assert [(p.image, p.mask, p.group, p.name) for p in pairs] == [
        ('Tile 1/images/image_part_001.jpg', 'Tile 1/masks/image_part_001.png',
         '1', 'Tile_1_images_image_part_001'),
        ('Tile 1/images/image_part_002.jpg', 'Tile 1/masks/image_part_002.png',
         '1', 'Tile_1_images_image_part_002'),
        ('Tile 2/images/image_part_001.jpg', 'Tile 2/masks/image_part_001.png',
         '2', 'Tile_2_images_image_part_001'),
        ('Tile 3/images/image_part_001.jpg', 'Tile 3/masks/image_part_001.png',
         '3', 'Tile_3_images_image_part_001')]
    # The default group is the top folder.
    assert [p.group for p in find_tile_pairs(str(root), IMAGES, MASK_FROM)
            ] == ['Tile 1', 'Tile 1', 'Tile 2', 'Tile 3']


def test_image_without_mask_is_an_error_naming_it(dubai):
    root, _ = dubai
    os.remove(root / 'Tile 3/masks/image_part_001.png')
    with pytest.raises(FileNotFoundError,
                       match=r'1 image\(s\) without a mask: Tile 3/images/'
                       r'image_part_001.jpg \(no Tile 3/masks/'
                       r'image_part_001.png\)'):
        _pairs(root)


def test_pairing_errors(dubai):
    root, _ = dubai
    with pytest.raises(FileNotFoundError, match=r"no file matches '\*.tif'"):
        find_tile_pairs(str(root), '*.tif', MASK_FROM)
    with pytest.raises(ValueError, match='leave its path unchanged'):
        find_tile_pairs(str(root), IMAGES, [('masks/', 'labels/')])
    with pytest.raises(ValueError, match=r"Tile 1/images/image_part_001.jpg: "
                       r"the group pattern '\^Area' does not match"):
        find_tile_pairs(str(root), IMAGES, MASK_FROM, '^Area')


def test_assign_splits_by_group(dubai):
    root, _ = dubai
    by_split, set_aside = assign_splits(_pairs(root), {'train': ['1'],
                                                       'val': ['2']})
    assert [p.image for p in by_split['train']] == [
        'Tile 1/images/image_part_001.jpg', 'Tile 1/images/image_part_002.jpg']
    assert [p.image for p in by_split['val']] == [
        'Tile 2/images/image_part_001.jpg']
    assert [p.image for p in set_aside] == ['Tile 3/images/image_part_001.jpg']


def test_a_group_in_two_splits_is_an_error(dubai):
    root, _ = dubai
    with pytest.raises(ValueError, match="group '2' is in the splits train "
                       'and val'):
        assign_splits(_pairs(root), {'train': ['1', '2'], 'val': ['2']})


def test_a_group_matching_no_tile_is_an_error(dubai):
    root, _ = dubai
    with pytest.raises(ValueError, match=r"groups \['7'\] match no tile; the "
                       r"groups found are \['1', '2', '3'\]"):
        assign_splits(_pairs(root), {'train': ['1', '7']})


def test_expand_colormap_of_a_paletted_mask(dubai):
    root, codes = dubai
    path = str(root / 'Tile 2/masks/image_part_001.png')
    raw = read_bands(path).transpose(1, 2, 0)
    assert raw.shape[2] == 1  # one band, a colour table
    rgb = expand_colormap(path, raw)
    np.testing.assert_array_equal(
        rgb, np.array(DUBAI_COLORS, np.uint8)[
            codes['Tile 2/images/image_part_001.jpg']])
    three = np.zeros((2, 2, 3), np.uint8)
    assert expand_colormap(path, three) is three


def test_colours_to_class_indices(dubai, tmp_path):
    """Every label patch (the paletted mask included) is the index map of
    its window, every image patch the decoded JPEG's window."""
    root, codes = dubai
    out = tmp_path / 'out'
    pairs = _pairs(root)
    _colour_converter(root, out).convert('train', pairs, 32, 32, log=None)
    rows = read_manifest(out, 'train')
    assert {r['source'] for r in rows} == set(codes)
    assert len(rows) == 2 * len(codes)
    for row in rows:
        window = _window(row)
        label = read_bands(out / 'ann_dir/train' / f'{row["patch"]}.tif')
        assert label.dtype == np.uint8 and label.shape == (1, 32, 32)
        np.testing.assert_array_equal(
            label[0], _cut(_index_map(codes[row['source']]), window))
        image = read_bands(out / 'img_dir/train' / f'{row["patch"]}.tif')
        np.testing.assert_array_equal(
            image, _cut(read_bands(root / row['source']), window))


def test_windows_of_a_70x45_tile_are_the_full_ones(dubai, tmp_path):
    root, _ = dubai
    out = tmp_path / 'out'
    tile = [p for p in _pairs(root) if p.group == '3']
    summary = _colour_converter(root, out).convert('train', tile, 32, 32,
                                                   log=None)
    assert [(r['patch'], _window(r)) for r in read_manifest(out, 'train')] == [
        ('Tile_3_images_image_part_001_0_0', (0, 0, 32, 32)),
        ('Tile_3_images_image_part_001_0_32', (32, 0, 32, 32))]
    assert sorted(os.listdir(out / 'img_dir/train')) == [
        'Tile_3_images_image_part_001_0_0.tif',
        'Tile_3_images_image_part_001_0_32.tif']
    assert summary.patches == {'written': 2}
    assert sum(summary.class_pixels.values()) + sum(
        summary.ignored.values()) == 2 * 32 * 32


def test_tile_smaller_than_the_patch_names_its_image(dubai, tmp_path):
    root, _ = dubai
    with pytest.raises(ValueError, match=r'Tile 1/images/image_part_001.jpg: '
                       r'70x45 px, smaller than a 64 px patch'):
        _colour_converter(root, tmp_path / 'out').convert(
            'train', _pairs(root), 64, 64, log=None)


def test_ignored_colours_counted_by_name(dubai, tmp_path):
    root, codes = dubai
    out = tmp_path / 'out'
    pairs = _pairs(root)
    summary = _colour_converter(root, out).convert('train', pairs, 32, 32,
                                                   log=None)
    written = np.stack([_cut(codes[r['source']], _window(r))
                        for r in read_manifest(out, 'train')])
    # Planted: 12 Unlabeled and 10 black pixels in each tile's patches; the
    # blocks in the strips no patch covers are not counted.
    assert (written == UNLABELED).sum() == 12 * len(codes)
    assert (written == BLACK).sum() == 10 * len(codes)
    assert summary.ignored == {'colour unlabeled': 12 * len(codes),
                               'colour black': 10 * len(codes)}
    assert summary.class_pixels == {
        i: int((written == i).sum()) for i in range(5)}
    assert 'colour unlabeled 48 (' in summary.format('train')
    ann_dir = out / 'ann_dir/train'
    label = read_bands(ann_dir / 'Tile_2_images_image_part_001_0_0.tif')
    assert (label[0, 2:5, 3:7] == 255).all()  # the paletted mask's too
    label = read_bands(ann_dir / 'Tile_2_images_image_part_001_0_32.tif')
    assert (label[0, 10:12, 8:13] == 255).all()  # black at columns 40-44


def test_unknown_colour_names_the_file_and_colour(dubai, tmp_path):
    root, _ = dubai
    mask = root / 'Tile 3/masks/image_part_001.png'
    rgb = cv2.imread(str(mask))
    rgb[20, 20:23] = (255, 255, 255)  # white: a palette entry of Dubai's
    cv2.imwrite(str(mask), rgb)
    tile = [p for p in _pairs(root) if p.group == '3']
    with pytest.raises(ValueError, match=r'Tile 3/masks/image_part_001.png: '
                       r'colours not in the palette: \(255, 255, 255\): 3 px'):
        _colour_converter(root, tmp_path / 'out').convert(
            'train', tile, 32, 32, log=None)
    assert not (tmp_path / 'out/img_dir/train').exists() or not os.listdir(
        tmp_path / 'out/img_dir/train')


def test_ignore_colours_need_a_palette(dubai, tmp_path):
    root, _ = dubai
    with pytest.raises(ValueError, match='need colour masks'):
        TileFolderConverter(str(root), str(tmp_path), 5, ignore_colors=IGNORE)


def test_whole_split_one_file_per_tile(dubai, tmp_path):
    root, codes = dubai
    out = tmp_path / 'out'
    pairs = _pairs(root)
    summary = _colour_converter(root, out).convert('test_tiles', pairs, None,
                                                   None, log=None)
    assert sorted(os.listdir(out / 'img_dir/test_tiles')) == sorted(
        f'{p.name}.tif' for p in pairs)
    for pair in pairs:
        image = read_bands(out / 'img_dir/test_tiles' / f'{pair.name}.tif')
        np.testing.assert_array_equal(image, read_bands(root / pair.image))
        label = read_bands(out / 'ann_dir/test_tiles' / f'{pair.name}.tif')
        assert label.shape == (1, 45, 70)
        np.testing.assert_array_equal(label[0], _index_map(codes[pair.image]))
    assert [_window(r) for r in read_manifest(out, 'test_tiles')] == [
        (0, 0, 70, 45)] * len(pairs)
    # Whole tiles count every planted pixel, the strips' too.
    assert summary.ignored == {'colour unlabeled': 22 * len(pairs),
                               'colour black': 18 * len(pairs)}


def _one_value_mask_tile(tmp_path, mask):
    """One Dubai-layout tile (70 x 45 px, grey JPEG) with ``mask`` as its
    PNG value mask; returns the source root."""
    root = tmp_path / 'src'
    (root / 'Tile 1/images').mkdir(parents=True)
    (root / 'Tile 1/masks').mkdir()
    cv2.imwrite(str(root / 'Tile 1/images/image_part_001.jpg'),
                np.full((45, 70, 3), 90, np.uint8))
    cv2.imwrite(str(root / 'Tile 1/masks/image_part_001.png'), mask)
    return root


def test_a_mostly_unlabelled_whole_tile_is_kept(tmp_path):
    """min_valid drops patches, never a whole (test) tile."""
    mask = np.full((45, 70), 255, np.uint8)  # 255: ignored
    mask[:5, :10] = 1  # 1.6% labelled
    root = _one_value_mask_tile(tmp_path, mask)
    out = tmp_path / 'out'
    converter = TileFolderConverter(str(root), str(out), 2, min_valid=0.5,
                                    ignore_255=True)
    summary = converter.convert('test_tiles', _pairs(root), None, None,
                                log=None)
    assert summary.patches == {'written': 1}
    assert summary.class_pixels == {1: 50}
    assert converter.convert('train', _pairs(root), 32, 32,
                             log=None).patches == {
        'under 50% labelled pixels': 2}


def _binary_mask_tile(tmp_path):
    """One tile whose PNG mask is 0 (background) and 255 (a building);
    returns the source root and the mask."""
    mask = np.zeros((45, 70), np.uint8)
    mask[5:20, 10:50] = 255  # a building
    return _one_value_mask_tile(tmp_path, mask), mask


def test_binary_png_value_mask_with_label_map(tmp_path):
    root, mask = _binary_mask_tile(tmp_path)
    out = tmp_path / 'out'
    converter = TileFolderConverter(str(root), str(out), 2,
                                    label_map={0: 0, 255: 1})
    summary = converter.convert('train', _pairs(root), 32, 32, log=None)
    for row in read_manifest(out, 'train'):
        label = read_bands(out / 'ann_dir/train' / f'{row["patch"]}.tif')
        np.testing.assert_array_equal(label[0],
                                      _cut(mask // 255, _window(row)))
    assert summary.class_pixels == {0: 2048 - 15 * 40, 1: 15 * 40}
    assert summary.ignored == {}


def test_binary_value_mask_without_map_is_refused_before_writing(tmp_path):
    """Its 255 pixels (the buildings) would never be trained on: every
    value mask is checked first, and the error prints the map to add."""
    root, mask = _binary_mask_tile(tmp_path)
    path = root / 'Tile 1/masks/image_part_001.png'
    out = tmp_path / 'out'
    converter = TileFolderConverter(str(root), str(out), 2)
    with pytest.raises(ValueError) as err:
        converter.check_labels(_pairs(root))
    assert str(err.value) == (
        f'{path}: its values are 0 (2,550 px), 255 (600 px): a binary mask? '
        '255 is the ignore value, so without a label map its 600 px would '
        'never be trained on. If 255 is a class, add --label-map 0=0 255=1; '
        'if it means "no label", add --ignore-255. Nothing was written')
    with pytest.raises(ValueError, match='a binary mask'):  # and per tile
        converter.convert('train', _pairs(root), 32, 32, log=None)
    assert not out.exists()
    TileFolderConverter(str(root), str(out), 2,
                        ignore_255=True).check_labels(_pairs(root))


def test_a_shifted_georeferenced_mask_is_refused(tmp_path):
    root = tmp_path / 'src'
    for folder in ('images', 'masks'):
        (root / 'Scene A' / folder).mkdir(parents=True)
    image = write_tif(root / 'Scene A/images/part_1.tif',
                      np.ones((3, 45, 70), np.uint8))
    mask = str(root / 'Scene A/masks/part_1.tif')
    with rasterio.open(
            mask, 'w', driver='GTiff', width=70, height=45, count=1,
            dtype='uint8', crs='EPSG:32617',
            transform=rasterio.transform.from_origin(600000 + 300, 4000000,
                                                     30, 30)) as dst:
        dst.write(np.zeros((1, 45, 70), np.uint8))
    pairs = find_tile_pairs(str(root), '*/images/*.tif', [('images/',
                                                           'masks/')])
    out = tmp_path / 'out'
    with pytest.raises(ValueError) as err:
        TileFolderConverter(str(root), str(out), 3).convert(
            'train', pairs, 32, 32, log=None)
    assert str(err.value) == (
        f'{mask}: the label is not on the grid of its image: label 70x45 '
        'px, EPSG:32617, origin (600300, 4000000), pixel 30 x -30; image '
        f'{image}: 70x45 px, EPSG:32617, origin (600000, 4000000), pixel 30 '
        'x -30')
    assert not (out / 'img_dir').exists()


def test_uint16_geotiff_keeps_bands_dtype_and_georeference(tmp_path):
    root = tmp_path / 'src'
    for folder in ('images', 'masks'):
        (root / 'Scene A' / folder).mkdir(parents=True)
    rng = np.random.default_rng(1)
    image = rng.integers(0, 20000, (4, 45, 70), dtype=np.uint16)
    mask = rng.integers(0, 3, (1, 45, 70), dtype=np.uint8)
    write_tif(root / 'Scene A/images/part_1.tif', image)
    write_tif(root / 'Scene A/masks/part_1.tif', mask)
    with rasterio.open(root / 'Scene A/images/part_1.tif') as src:
        transform, crs = src.transform, src.crs
    out = tmp_path / 'out'
    pairs = find_tile_pairs(str(root), '*/images/*.tif', [('images/',
                                                           'masks/')])
    assert pairs[0].group == 'Scene A'
    TileFolderConverter(str(root), str(out), 3).convert('train', pairs, 32,
                                                         32, log=None)
    with rasterio.open(
            out / 'img_dir/train/Scene_A_images_part_1_0_32.tif') as patch:
        assert patch.count == 4 and patch.dtypes == ('uint16',) * 4
        np.testing.assert_array_equal(patch.read(), image[:, :32, 32:64])
        assert patch.crs == crs
        assert patch.transform == transform @ rasterio.Affine.translation(
            32, 0)
    with rasterio.open(
            out / 'ann_dir/train/Scene_A_images_part_1_0_32.tif') as label:
        np.testing.assert_array_equal(label.read(), mask[:, :32, 32:64])
        assert label.crs == crs and label.transform == patch.transform
        assert label.nodata == 255


def test_rerun_skips_finished_tiles_and_lists_them_all(dubai, tmp_path):
    root, _ = dubai
    out = tmp_path / 'out'
    pairs = [p for p in _pairs(root) if p.group == '1']
    first_patch = out / 'img_dir/train/Tile_1_images_image_part_001_0_0.tif'
    lines = []
    _colour_converter(root, out).convert('train', pairs[:1], 32, 32,
                                         log=lines.append)
    assert lines == ['[train 1/1] Tile 1/images/image_part_001.jpg: '
                     'converted']
    written = os.stat(first_patch).st_mtime_ns
    lines.clear()
    summary = _colour_converter(root, out).convert('train', pairs, 32, 32,
                                                   log=lines.append)
    assert lines == [
        '[train 1/2] Tile 1/images/image_part_001.jpg: already done',
        '[train 2/2] Tile 1/images/image_part_002.jpg: converted']
    assert summary.patches == {'already done': 2, 'written': 2}
    assert summary.ignored == {'colour unlabeled': 24, 'colour black': 20}
    assert os.stat(first_patch).st_mtime_ns == written  # not rewritten
    assert [r['patch'] for r in read_manifest(out, 'train')] == [
        f'Tile_1_images_image_part_00{part}_0_{col}'
        for part in (1, 2) for col in (0, 32)]


def test_rerun_with_other_ignore_colours_is_an_error(dubai, tmp_path):
    root, _ = dubai
    out = tmp_path / 'out'
    pairs = [p for p in _pairs(root) if p.group == '3']
    _colour_converter(root, out).convert('train', pairs, 32, 32, log=None)
    other = TileFolderConverter(
        str(root), str(out), 5, palette=DUBAI_COLORS[:5],
        ignore_colors={'void': DUBAI_COLORS[UNLABELED],
                       'black': DUBAI_COLORS[BLACK]})
    with pytest.raises(ValueError, match='was converted with'):
        other.convert('train', pairs, 32, 32, log=None)


def _same_patches(png_out, tif_out, split):
    """Every patch of ``png_out`` is a PNG with the pixels (and dtype) of
    the GeoTIFF of the same name in ``tif_out``; returns their number."""
    rows = read_manifest(png_out, split)
    assert rows == read_manifest(tif_out, split) and rows
    for kind in ('img_dir', 'ann_dir'):
        assert sorted(os.listdir(png_out / kind / split)) == sorted(
            f'{r["patch"]}.png' for r in rows)
        for row in rows:
            png, _ = read_raster(str(png_out / kind / split /
                                     f'{row["patch"]}.png'), dtype=None)
            tif, _ = read_raster(str(tif_out / kind / split /
                                     f'{row["patch"]}.tif'), dtype=None)
            assert png.dtype == tif.dtype
            np.testing.assert_array_equal(png, tif)
    return len(rows)


def test_png_patches_equal_the_tif_ones(dubai, tmp_path):
    root, _ = dubai
    pairs = _pairs(root)
    summaries = {
        fmt: _colour_converter(root, tmp_path / fmt, image_format=fmt
                               ).convert('train', pairs, 32, 32, log=None)
        for fmt in ('tif', 'png')}
    assert _same_patches(tmp_path / 'png', tmp_path / 'tif', 'train') == 8
    assert summaries['png'].to_dict() == summaries['tif'].to_dict()


def test_png_patches_of_a_16_bit_grey_image(tmp_path):
    root = tmp_path / 'src'
    for folder in ('images', 'masks'):
        (root / 'Scene A' / folder).mkdir(parents=True)
    rng = np.random.default_rng(2)
    image = rng.integers(0, 60000, (45, 70), dtype=np.uint16)
    cv2.imwrite(str(root / 'Scene A/images/part_1.png'), image)
    cv2.imwrite(str(root / 'Scene A/masks/part_1.png'),
                rng.integers(0, 3, (45, 70), dtype=np.uint8))
    pairs = find_tile_pairs(str(root), '*/images/*.png',
                            [('images/', 'masks/')])
    for fmt in ('tif', 'png'):
        TileFolderConverter(str(root), str(tmp_path / fmt), 3,
                            image_format=fmt).convert('train', pairs, 32, 32,
                                                      log=None)
    assert _same_patches(tmp_path / 'png', tmp_path / 'tif', 'train') == 2
    patch, _ = read_raster(
        str(tmp_path / 'png/img_dir/train/Scene_A_images_part_1_0_32.png'),
        dtype=None)
    np.testing.assert_array_equal(patch[..., 0], image[:32, 32:64])


def test_png_of_a_georeferenced_4_band_geotiff_names_it(tmp_path):
    root = tmp_path / 'src'
    for folder in ('images', 'masks'):
        (root / 'Scene A' / folder).mkdir(parents=True)
    image = write_tif(root / 'Scene A/images/part_1.tif',
                      np.ones((4, 45, 70), np.uint16))
    write_tif(root / 'Scene A/masks/part_1.tif', np.zeros((1, 45, 70),
                                                          np.uint8))
    pairs = find_tile_pairs(str(root), '*/images/*.tif', [('images/',
                                                           'masks/')])
    out = tmp_path / 'out'
    with pytest.raises(ValueError, match=re.escape(
            f'{image}: 4 band(s) of uint16, georeferenced: PNG patches hold '
            '8- or 16-bit grey or RGB')):
        TileFolderConverter(str(root), str(out), 3, image_format='png'
                            ).convert('train', pairs, 32, 32, log=None)
    assert not out.exists()


def test_unreadable_image_is_a_read_error_naming_it(dubai, tmp_path):
    root, _ = dubai
    image = root / 'Tile 3/images/image_part_001.jpg'
    image.write_text('not a JPEG')
    tile = [p for p in _pairs(root) if p.group == '3']
    with pytest.raises(RasterReadError, match=re.escape(
            f'{image}: cannot be read by GDAL')):
        _colour_converter(root, tmp_path / 'out').convert(
            'train', tile, 32, 32, log=None)


def test_split_assignment_per_split():
    assert split_assignment({'train': ['3', '1'], 'test': ['2']}, 32, None,
                            whole=['test']) == {
        'train': dict(groups=['1', '3'], whole=False, patch_size=32,
                      stride=32),
        'test': dict(groups=['2'], whole=True, patch_size=None,
                     stride=None)}
    assert split_assignment({'train': ['1']}, 32, 16)['train']['stride'] == 16


def test_split_record_written_once_then_checked(tmp_path):
    out = tmp_path / 'out'
    first = split_assignment({'train': ['1', '2'], 'val': ['3']}, 32, 32)
    path = record_split_assignment(str(out), first)
    assert path == str(out / 'tile_splits.json')
    with open(path) as f:
        assert json.load(f) == first
    written = os.stat(path).st_mtime_ns
    # The same assignment, the groups in another order: resumed.
    assert record_split_assignment(str(out), split_assignment(
        {'val': ['3'], 'train': ['2', '1']}, 32)) == path
    assert os.stat(path).st_mtime_ns == written


@pytest.mark.parametrize('splits, patch, new', [
    ({'train': ['1'], 'val': ['2', '3']}, 32,
     'train: groups 1 (32 px patches, stride 32); val: groups 2, 3 (32 px '
     'patches, stride 32)'),
    ({'train': ['1', '2'], 'val': ['3']}, 16,
     'train: groups 1, 2 (16 px patches, stride 16); val: groups 3 (16 px '
     'patches, stride 16)'),
    ({'train': ['1', '2']}, 32, 'train: groups 1, 2 (32 px patches, stride '
     '32)'),
], ids=['group moved', 'patch size', 'split dropped'])
def test_another_split_assignment_is_refused(tmp_path, splits, patch, new):
    out = tmp_path / 'out'
    path = record_split_assignment(str(out), split_assignment(
        {'train': ['1', '2'], 'val': ['3']}, 32))
    (out / '.done').mkdir()  # a tile was converted
    before = open(path).read()
    with pytest.raises(ValueError) as err:
        record_split_assignment(str(out), split_assignment(splits, patch))
    assert str(err.value) == (
        f'{path}: this folder was converted with the splits train: groups '
        '1, 2 (32 px patches, stride 32); val: groups 3 (32 px patches, '
        f'stride 32), not {new}; its patches would stay where they are, and '
        'a tile could sit in two splits: convert into a new folder')
    assert open(path).read() == before
    assert sorted(os.listdir(out)) == ['.done', 'tile_splits.json']


def test_a_record_without_converted_tiles_is_replaced(tmp_path):
    """A first run that stopped before any tile finished (a data error)
    may be re-run with other splits: nothing of the old ones was written."""
    out = tmp_path / 'out'
    record_split_assignment(str(out), split_assignment({'train': ['1']}, 32))
    new = split_assignment({'train': ['1'], 'val': ['2']}, 16)
    path = record_split_assignment(str(out), new)
    with open(path) as f:
        assert json.load(f) == json.loads(json.dumps(new))
