"""LoadRSImageFromFile / LoadRSAnnotations on the rasters users bring."""
import numpy as np
import pytest
from _support import write_tif

from false_plugin.datasets.transforms import (LoadRSAnnotations,
                                              LoadRSImageFromFile)


@pytest.fixture
def nan_scene(tmp_path):
    """Float32 reflectance with NaN and inf, no declared nodata."""
    img = np.random.default_rng(0).uniform(0, 1, (3, 6, 6)).astype(
        np.float32)
    img[:, 0, 0] = np.nan
    img[2, 5, 5] = np.inf
    label = np.ones((1, 6, 6), np.uint8)
    return (write_tif(tmp_path / 'refl.tif', img),
            write_tif(tmp_path / 'lab.tif', label))


@pytest.mark.parametrize('nodata_value', [None, 0, -1])
def test_nan_never_reaches_the_batch(nan_scene, nodata_value):
    img_path, lab_path = nan_scene
    results = LoadRSImageFromFile(nodata_value=nodata_value)(
        dict(img_path=img_path))
    mask = results['nodata_mask']
    assert mask.sum() == 2 and mask[0, 0] and mask[5, 5]
    assert np.isfinite(results['img']).all()
    if nodata_value is None:  # only the NaN / inf values become 0
        assert results['img'][0, 0].tolist() == [0, 0, 0]
        assert results['img'][5, 5, 2] == 0 and results['img'][5, 5, 0] > 0
    else:
        assert (results['img'][mask] == nodata_value).all()
    results = LoadRSAnnotations()(dict(results, seg_map_path=lab_path))
    assert results['gt_seg_map'][0, 0] == 255
    assert results['gt_seg_map'][5, 5] == 255
    assert (results['gt_seg_map'] == 1).sum() == 34


def test_coded_uint16_label_is_an_error(tmp_path):
    raw = np.full((1, 4, 4), 2, np.uint16)
    raw[0, :2, :2] = 300
    path = write_tif(tmp_path / 'codes.tif', raw)
    with pytest.raises(ValueError) as err:
        LoadRSAnnotations()(dict(seg_map_path=path))
    assert 'codes.tif: label values 300 (4 px) are not class indices ' \
        '0..254' in str(err.value)
    out = LoadRSAnnotations(label_map={300: 0, 2: 1})(
        dict(seg_map_path=path))['gt_seg_map']
    assert out.dtype == np.uint8 and out.tolist()[0] == [0, 0, 1, 1]


def test_label_at_or_above_num_classes(tmp_path):
    path = write_tif(tmp_path / 'lab.tif', np.array([[[0, 1], [3, 255]]],
                                                     np.uint8))
    with pytest.raises(ValueError, match=r'lab.tif: label values 3 \(1 px\) '
                       r'are not class indices 0..2'):
        LoadRSAnnotations()(dict(seg_map_path=path, num_classes=3))
    with pytest.raises(ValueError, match='0..1'):
        LoadRSAnnotations(num_classes=2)(dict(seg_map_path=path))
    out = LoadRSAnnotations()(dict(seg_map_path=path, num_classes=4))
    assert out['gt_seg_map'].tolist() == [[0, 1], [3, 255]]


def test_binary_mask_and_label_nodata(tmp_path):
    mask = np.array([[[0, 255, 7], [255, 0, 7]]], np.uint8)
    path = write_tif(tmp_path / 'roads.tif', mask, nodata=7)
    out = LoadRSAnnotations(label_map={0: 0, 255: 1})(
        dict(seg_map_path=path))['gt_seg_map']
    assert out.tolist() == [[0, 1, 255], [1, 0, 255]]


def test_reduce_zero_label(tmp_path):
    path = write_tif(tmp_path / 'loveda.tif',
                     np.array([[[0, 1, 7], [255, 2, 1]]], np.uint8))
    out = LoadRSAnnotations()(
        dict(seg_map_path=path, reduce_zero_label=True,
             num_classes=7))['gt_seg_map']
    assert out.tolist() == [[255, 0, 6], [255, 1, 0]]
    with pytest.raises(ValueError, match='not both'):
        LoadRSAnnotations(label_map={1: 0})(
            dict(seg_map_path=path, reduce_zero_label=True))


def test_wrong_band_selection_names_the_file(nan_scene):
    from false_plugin.datasets import RasterReadError
    with pytest.raises(RasterReadError, match=r'refl.tif: has 3 band\(s\)'):
        LoadRSImageFromFile(bands=[1, 2, 3, 4])(dict(img_path=nan_scene[0]))
