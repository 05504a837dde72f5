"""Pretraining datasets: tile sampling and patch folders."""
import cv2
import numpy as np
import pytest
import rasterio
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
