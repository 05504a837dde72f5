"""Pretraining datasets: tile sampling and patch folders."""
import cv2
import numpy as np
import pytest
import rasterio
from _support import logged_warnings
from mmengine.registry import DefaultScope
from mmselfsup.registry import DATASETS

from false_plugin.datasets import dominant_label

PIPELINE = [
    dict(type='LoadRSImageFromFile', nodata_value=0),
    dict(
        type='MultiView',
        num_views=2,
        transforms=[[
            dict(type='RandomResizedCrop', size=8, backend='cv2'),
            dict(type='RandomFlip', prob=0.5),
            dict(type='RSSpectralJitter', prob=1.0),
            dict(type='RSGaussianBlur', prob=1.0),
        ]]),
    dict(type='PackSelfSupInputs', meta_keys=['img_path', 'dominant_label'])
]


def _build(**cfg):
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        return DATASETS.build(cfg)


def test_dominant_label():
    assert dominant_label(np.array([[1, 1, 2], [255, 255, 255]])) == 1
    assert dominant_label(np.full((2, 2), 255)) == -1


def test_tile_sampling(scene):
    img, label = scene
    kwargs = dict(type='RSTileSamplingDataset', img_files=[img],
                  seg_map_files=[label], patch_size=12, num_samples=6,
                  min_valid_fraction=1.0, pipeline=PIPELINE)
    dataset = _build(**kwargs)
    windows = [dataset.get_data_info(i)['window'] for i in range(6)]
    # Reproducible, inside the raster and clear of the nodata strip.
    assert windows == [
        _build(**kwargs).get_data_info(i)['window'] for i in range(6)
    ]
    assert all(col >= 8 and col + 12 <= 48 and row + 12 <= 40
               for col, row, _, _ in windows)
    sample = dataset[0]
    assert sample['inputs'][0].shape == (5, 8, 8)
    # The most frequent class of each window, counted here from the label
    # raster (ties to the smaller class).
    with rasterio.open(label) as src:
        classes = src.read(1)
    expected = []
    for col, row, width, height in windows:
        values, counts = np.unique(
            classes[row:row + height, col:col + width], return_counts=True)
        expected.append(int(values[counts == counts.max()].min()))
    assert [dataset.get_data_info(i)['dominant_label']
            for i in range(6)] == expected
    assert sample['data_samples'].dominant_label == expected[0]


def test_tile_sampling_region(scene):
    img, _ = scene
    dataset = _build(type='RSTileSamplingDataset', img_files=[img],
                     patch_size=8, num_samples=10, region=(20, 0, 16, 40),
                     pipeline=PIPELINE)
    for i in range(10):
        col, _, width, _ = dataset.get_data_info(i)['window']
        assert 20 <= col and col + width <= 36
        assert dataset.get_data_info(i)['dominant_label'] == -1


def test_all_nodata_region_is_an_error(scene):
    img, _ = scene
    with pytest.raises(ValueError, match='scene.tif: no 8px window'):
        _build(type='RSTileSamplingDataset', img_files=[img], patch_size=8,
               num_samples=2, region=(0, 0, 8, 40), max_tries=20,
               pipeline=PIPELINE)


def test_patch_folder_with_labels(tmp_path):
    (tmp_path / 'img_dir').mkdir()
    (tmp_path / 'ann_dir').mkdir()
    rng = np.random.default_rng(0)
    for i, cls in enumerate([2, 0, 4]):
        cv2.imwrite(str(tmp_path / 'img_dir' / f'p{i}.png'),
                    rng.integers(0, 255, (16, 16, 3), np.uint8))
        cv2.imwrite(str(tmp_path / 'ann_dir' / f'p{i}.png'),
                    np.full((16, 16), cls, np.uint8))
    dataset = _build(
        type='RSPatchDataset', data_root=str(tmp_path),
        data_prefix=dict(img_path='img_dir', seg_map_path='ann_dir'),
        pipeline=PIPELINE)
    assert len(dataset) == 3
    assert [dataset[i]['data_samples'].dominant_label
            for i in range(3)] == [2, 0, 4]


def test_empty_patch_folder(tmp_path):
    (tmp_path / 'img_dir').mkdir()
    with pytest.raises(ValueError, match='no \\*.png patches'):
        _build(type='RSPatchDataset', data_root=str(tmp_path),
               data_prefix=dict(img_path='img_dir'), pipeline=PIPELINE)


def test_tile_without_nodata_keeps_no_mask_and_draws_as_before(tmp_path):
    """A uint16 tile without nodata: no valid mask is read or kept, and
    sample i of epoch e is the first draw of the (seed, e, i) generator."""
    import rasterio

    from false_plugin.datasets.rs_pretrain import EpochSampleIndex
    rng = np.random.default_rng(4)
    path = str(tmp_path / 'uint16.tif')
    with rasterio.open(path, 'w', driver='GTiff', width=70, height=50,
                       count=4, dtype='uint16', tiled=True, blockxsize=16,
                       blockysize=16) as dst:
        dst.write(rng.integers(0, 65535, (4, 50, 70)).astype(np.uint16))
    dataset = _build(type='RSTileSamplingDataset', img_files=[path],
                     patch_size=12, num_samples=5, seed=7, pipeline=[
                         dict(type='LoadRSImageFromFile', bands=[4, 2]),
                         dict(type='PackSelfSupInputs',
                              meta_keys=['img_path'])])
    assert dataset._masks == [None]
    for epoch in (0, 2):
        for i in range(5):
            draw = np.random.default_rng([7, epoch, i])
            col = int(draw.integers(0, 70 - 12 + 1))
            row = int(draw.integers(0, 50 - 12 + 1))
            info = dataset.get_data_info(EpochSampleIndex(epoch * 5 + i))
            assert info['window'] == (col, row, 12, 12)
            with rasterio.open(path) as src:
                expected = src.read([4, 2], window=((row, row + 12),
                                                    (col, col + 12)))
            sample = dataset[EpochSampleIndex(epoch * 5 + i)]
            np.testing.assert_array_equal(sample['inputs'][0].numpy(),
                                          expected.astype(np.float32))


def test_large_striped_tile_warns_once_naming_it(tmp_path):
    import rasterio
    path = str(tmp_path / 'striped_scene.tif')
    with rasterio.open(path, 'w', driver='GTiff', width=2048, height=2048,
                       count=3, dtype='uint8', compress='deflate') as dst:
        dst.write(np.full((3, 2048, 2048), 90, np.uint8))
    with logged_warnings() as messages:
        for _ in range(2):
            _build(type='RSTileSamplingDataset', img_files=[path],
                   patch_size=48, num_samples=4, pipeline=PIPELINE)
    layout = [m for m in messages if 'strips' in m]
    assert len(layout) == 1
    assert layout[0].startswith(f'{path}: 2048x2048 px stored in strips')
    assert 'gdal_translate -co TILED=YES -co COMPRESS=DEFLATE' in layout[0]
