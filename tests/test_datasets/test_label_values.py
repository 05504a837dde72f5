"""Raw label values to class indices: label maps, coded products, checks."""
import numpy as np
import pytest

from false_plugin.datasets import parse_label_map, read_class_table, to_indices
from false_plugin.datasets.label_values import (raster_value_counts,
                                                unmapped_values)


def test_parse_label_map():
    assert parse_label_map(['0=0', '255=1']) == {0: 0, 255: 1}
    assert parse_label_map(['10=0', '20=1', '0=255']) == {10: 0, 20: 1,
                                                          0: 255}
    for bad, match in ((['0:1'], 'RAW=INDEX'), (['1=0', '1=2'], 'twice'),
                       (['5=300'], '0..255')):
        with pytest.raises(ValueError, match=match):
            parse_label_map(bad)


def test_binary_mask_mapped():
    mask = np.array([[0, 255], [255, 0]], np.uint8)
    index, unmapped = to_indices(mask, {0: 0, 255: 1})
    assert index.tolist() == [[0, 1], [1, 0]] and not unmapped.any()
    # Without a map 255 stays the ignore value.
    index, _ = to_indices(mask)
    assert index.tolist() == [[0, 255], [255, 0]]


def test_coded_uint16_never_wraps():
    # Class code 300 in a uint16 raster: uint8 would make it 44.
    raw = np.array([[300, 300, 1], [2, 300, 1]], np.uint16)
    with pytest.raises(ValueError) as err:
        to_indices(raw, path='codes.tif')
    assert str(err.value).startswith('codes.tif: label values 300 (3 px) '
                                     'are not class indices 0..254')
    index, _ = to_indices(raw, {300: 0, 1: 1, 2: 2})
    assert index.tolist() == [[0, 0, 1], [2, 0, 1]]


def test_worldcover_codes_and_unmapped():
    raw = np.array([[10, 20, 30], [95, 10, 0]], np.uint8)
    worldcover = {10: 0, 20: 1, 30: 2, 0: 255}
    with pytest.raises(ValueError,
                       match=r'wc.tif: label values 95 \(1 px\) are not in '
                       'the label map'):
        to_indices(raw, worldcover, path='wc.tif')
    index, unmapped = to_indices(raw, worldcover, unmapped='ignore')
    assert index.tolist() == [[0, 1, 2], [255, 0, 255]]
    assert unmapped.tolist() == [[False] * 3, [True, False, False]]


def test_num_classes_and_nodata():
    raw = np.array([[0, 1, 2], [3, 3, 255]], np.int32)
    with pytest.raises(ValueError, match=r'3 \(2 px\) are not class indices '
                       r'0..2'):
        to_indices(raw, num_classes=3)
    nodata = raw == 3  # declared label nodata: any value, ignored
    index, unmapped = to_indices(raw, num_classes=3, nodata=nodata)
    assert index.tolist() == [[0, 1, 2], [255, 255, 255]]
    assert not unmapped.any()


def test_float_labels():
    raw = np.array([[1.0, np.nan], [2.0, 0.0]], np.float32)
    index, _ = to_indices(raw)
    assert index.tolist() == [[1, 255], [2, 0]]
    with pytest.raises(ValueError, match='must be integers'):
        to_indices(np.array([[1.5]], np.float32))


def test_signed_and_large_values():
    raw = np.array([[-1, 70000], [5, 5]], np.int64)
    with pytest.raises(ValueError, match=r'-1 \(1 px\), 70000 \(1 px\)'):
        to_indices(raw)
    index, _ = to_indices(raw, {-1: 255, 70000: 1, 5: 0})
    assert index.tolist() == [[255, 1], [0, 0]]


def test_unmapped_values_lists_everything():
    counts = {0: 5, 1: 3, 255: 7, 300: 2}
    assert unmapped_values(counts) == {300: 2}
    assert unmapped_values(counts, num_classes=1) == {1: 3, 300: 2}
    assert unmapped_values(counts, {0: 0, 1: 1}) == {300: 2}


def test_raster_value_counts(tmp_path):
    from _support import write_tif
    raw = np.array([[[10, 20, 0], [20, 20, 0]]], np.uint16)
    path = write_tif(tmp_path / 'lc.tif', raw, nodata=0)
    assert raster_value_counts(path) == {10: 1, 20: 3}
    assert raster_value_counts(path, (1, 0, 2, 2)) == {20: 2}


def test_class_table_value_column(tmp_path):
    path = tmp_path / 'classes.csv'
    path.write_text('name,index,r,g,b,value\n'
                    'tree,0,0,100,0,10\n'
                    'urban,1,250,0,0,111 112\n')
    table = read_class_table(str(path))
    assert table.classes == ('tree', 'urban')
    assert table.label_map == {10: 0, 111: 1, 112: 1}
    path.write_text('name,index,r,g,b,value\ntree,0,0,100,0,10\n'
                    'urban,1,250,0,0,10\n')
    with pytest.raises(ValueError, match='line 3: raw value 10 already'):
        read_class_table(str(path))
    path.write_text('name,index,r,g,b,value\ntree,0,0,100,0,\n')
    with pytest.raises(ValueError, match='line 2: no raw value'):
        read_class_table(str(path))


def test_resolve_label_map_from_items_or_table_never_both():
    from false_plugin.datasets.label_values import resolve_label_map
    assert resolve_label_map(['0=0', '255=1'], None, 't.csv') == {0: 0,
                                                                 255: 1}
    assert resolve_label_map(None, {10: 0, 20: 1}, 't.csv') == {10: 0, 20: 1}
    assert resolve_label_map(None, None, 't.csv') is None
    with pytest.raises(ValueError, match='t.csv has a value column'):
        resolve_label_map(['0=0'], {10: 0}, 't.csv')


def test_the_classes_of_a_conversion(tmp_path):
    from false_plugin.datasets.class_table import (read_class_table,
                                                   write_class_table)
    from false_plugin.datasets.label_policy import classes_and_label_map
    table = str(tmp_path / 'classes.csv')
    write_class_table(table, [('bg', (0, 0, 0)), ('road', (9, 9, 9))])
    assert read_class_table(table).classes == ('bg', 'road')
    assert classes_and_label_map(table) == (None, ('bg', 'road'), 2)
    assert classes_and_label_map(None, ['0=0', '255=1']) == (
        {0: 0, 255: 1}, None, 2)
    assert classes_and_label_map(None, None, 4) == (None, None, 4)
    with pytest.raises(ValueError, match='the classes are unknown'):
        classes_and_label_map()
    with pytest.raises(ValueError, match='--num-classes 3, but .* has 2'):
        classes_and_label_map(table, None, 3)


@pytest.mark.parametrize('counts, hint', [
    ({0: 10, 255: 5}, '--label-map 0=0 255=1'),
    ({0: 10, 1: 3, 255: 5}, '--label-map 0=0 1=1 255=2'),
    ({1: 3, 255: 5}, '--label-map 1=1 255=2'),
])
def test_binary_masks_without_a_map_name_the_map_to_add(counts, hint):
    from false_plugin.datasets.label_policy import (binary_mask_message,
                                                    check_label_counts)
    with pytest.raises(ValueError) as err:
        check_label_counts('m.tif', counts, None, 3)
    assert str(err.value).startswith('m.tif: its values are ')
    assert f'add {hint};' in str(err.value)
    assert binary_mask_message('m.tif', counts, ignore_255=True) is None
    assert binary_mask_message('m.tif', counts, {0: 0, 255: 1}) is None
    assert binary_mask_message('m.tif', {0: 1, 1: 2}) is None
    assert binary_mask_message('m.tif', {0: 1, 2: 1, 255: 1}) is None
