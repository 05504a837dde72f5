"""Segmentation datasets and the class table."""
import os

import numpy as np
import pytest
from _support import write_tif
from mmengine.registry import DefaultScope
from mmseg.registry import DATASETS

from false_plugin.datasets import read_class_table

SEG_PIPELINE = [
    dict(type='LoadRSImageFromFile'),
    dict(type='LoadRSAnnotations'),
    dict(type='PackSegInputs')
]
TABLE = 'name,index,r,g,b\nroad,1,128,128,128\nbare,0,200,150,0\n'


def _build(**cfg):
    with DefaultScope.overwrite_default_scope('mmseg'):
        return DATASETS.build(cfg)


def _tiles(root, nodata_pixel=True):
    for kind in ('img_dir/train', 'ann_dir/train'):
        os.makedirs(root / kind)
    img = np.full((4, 8, 8), 100, np.uint16)  # RGBIR, uint16
    if nodata_pixel:
        img[:, 0, 0] = 0
    write_tif(root / 'img_dir/train/a.tif', img, nodata=0)
    write_tif(root / 'ann_dir/train/a.tif', np.ones((1, 8, 8), np.uint8))
    (root / 'classes.csv').write_text(TABLE)


def test_class_table(tmp_path):
    path = tmp_path / 'classes.csv'
    path.write_text(TABLE)
    table = read_class_table(str(path))
    assert table.classes == ('bare', 'road')
    assert table.palette == [[200, 150, 0], [128, 128, 128]]


@pytest.mark.parametrize('text,match', [
    ('class,id\n', 'first line'),
    ('name,index,r,g,b\nroad,x,1,2,3\n', 'line 2'),
    ('name,index,r,g,b\nroad,0,1,2,3\nbare,2,1,2,3\n', '0..K-1'),
    ('name,index,r,g,b\nroad,0,1,2,300\n', 'not 0-255'),
])
def test_bad_class_table(tmp_path, text, match):
    path = tmp_path / 'classes.csv'
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        read_class_table(str(path))


def test_rs_seg_dataset_multiband(tmp_path):
    _tiles(tmp_path)
    dataset = _build(
        type='RSSegDataset', data_root=str(tmp_path),
        data_prefix=dict(img_path='img_dir/train',
                         seg_map_path='ann_dir/train'),
        pipeline=SEG_PIPELINE)
    assert dataset.metainfo['classes'] == ('bare', 'road')
    sample = dataset[0]
    assert sample['inputs'].shape == (4, 8, 8)
    gt = sample['data_samples'].gt_sem_seg.data[0]
    # The image's nodata pixel is ignored in the labels.
    assert gt[0, 0] == 255 and (gt.flatten()[1:] == 1).all()


def test_label_and_image_size_mismatch(tmp_path):
    _tiles(tmp_path)
    write_tif(tmp_path / 'ann_dir/train/a.tif', np.ones((1, 6, 8), np.uint8))
    dataset = _build(
        type='RSSegDataset', data_root=str(tmp_path),
        data_prefix=dict(img_path='img_dir/train',
                         seg_map_path='ann_dir/train'),
        pipeline=SEG_PIPELINE)
    with pytest.raises(ValueError, match='a.tif: label is \\(6, 8\\)'):
        dataset[0]


def test_wrong_band_count_for_the_config(tmp_path):
    _tiles(tmp_path)
    dataset = _build(
        type='RSSegDataset', data_root=str(tmp_path),
        data_prefix=dict(img_path='img_dir/train',
                         seg_map_path='ann_dir/train'),
        pipeline=[dict(type='LoadRSImageFromFile', bands=[1, 2, 3, 4, 5])] +
        SEG_PIPELINE[1:])
    with pytest.raises(OSError, match=r'has 4 band\(s\)'):
        dataset[0]


@pytest.mark.parametrize('name,classes', [
    ('PotsdamRSDataset', 6), ('DeepGlobeLandCoverDataset', 6)])
def test_preset_datasets(tmp_path, name, classes):
    import cv2
    suffix = '.png' if name == 'PotsdamRSDataset' else '.jpg'
    for kind in ('img_dir', 'ann_dir'):
        (tmp_path / kind).mkdir()
    cv2.imwrite(str(tmp_path / 'img_dir' / f'x{suffix}'),
                np.zeros((8, 8, 3), np.uint8))
    cv2.imwrite(str(tmp_path / 'ann_dir' / 'x.png'),
                np.full((8, 8), 5, np.uint8))
    dataset = _build(
        type=name, data_root=str(tmp_path),
        data_prefix=dict(img_path='img_dir', seg_map_path='ann_dir'),
        pipeline=SEG_PIPELINE)
    assert len(dataset.metainfo['classes']) == classes
    assert dataset[0]['data_samples'].gt_sem_seg.data.unique().tolist() == [5]


def test_coded_labels_through_the_class_table(tmp_path):
    """A coded product (WorldCover-like uint16 codes) described once in the
    class table's value column; a code outside the table is an error."""
    _tiles(tmp_path, nodata_pixel=False)
    codes = np.full((1, 8, 8), 10, np.uint16)
    codes[0, :, 4:] = 50
    write_tif(tmp_path / 'ann_dir/train/a.tif', codes)
    (tmp_path / 'classes.csv').write_text(
        'name,index,r,g,b,value\ntree,0,0,100,0,10\nbuilt,1,250,0,0,50\n')
    kwargs = dict(type='RSSegDataset', data_root=str(tmp_path),
                  data_prefix=dict(img_path='img_dir/train',
                                   seg_map_path='ann_dir/train'),
                  pipeline=SEG_PIPELINE)
    gt = _build(**kwargs)[0]['data_samples'].gt_sem_seg.data[0]
    assert (gt[:, :4] == 0).all() and (gt[:, 4:] == 1).all()
    codes[0, 0, 0] = 60
    write_tif(tmp_path / 'ann_dir/train/a.tif', codes)
    with pytest.raises(ValueError, match=r'a.tif: label values 60 \(1 px\) '
                       'are not in the label map'):
        _build(**kwargs)[0]


def test_label_beyond_the_classes(tmp_path):
    _tiles(tmp_path)
    write_tif(tmp_path / 'ann_dir/train/a.tif',
              np.full((1, 8, 8), 2, np.uint8))  # the table has 2 classes
    dataset = _build(
        type='RSSegDataset', data_root=str(tmp_path),
        data_prefix=dict(img_path='img_dir/train',
                         seg_map_path='ann_dir/train'),
        pipeline=SEG_PIPELINE)
    with pytest.raises(ValueError, match=r'a.tif: label values 2 \(64 px\) '
                       'are not class indices 0..1'):
        dataset[0]


def test_reduce_zero_label_is_an_argument(tmp_path):
    _tiles(tmp_path, nodata_pixel=False)
    label = np.full((1, 8, 8), 2, np.uint8)
    label[0, 0] = 0
    write_tif(tmp_path / 'ann_dir/train/a.tif', label)
    dataset = _build(
        type='RSSegDataset', data_root=str(tmp_path),
        data_prefix=dict(img_path='img_dir/train',
                         seg_map_path='ann_dir/train'),
        reduce_zero_label=True, pipeline=SEG_PIPELINE)
    gt = dataset[0]['data_samples'].gt_sem_seg.data[0]
    assert (gt[0] == 255).all() and (gt[1:] == 1).all()


def test_an_empty_image_folder_names_it(tmp_path):
    """Not numpy's "need at least one array to concatenate"."""
    (tmp_path / 'img_dir/train').mkdir(parents=True)
    (tmp_path / 'ann_dir/train').mkdir(parents=True)
    (tmp_path / 'classes.csv').write_text(TABLE)
    with pytest.raises(FileNotFoundError) as err:
        _build(type='RSSegDataset', data_root=str(tmp_path),
               data_prefix=dict(img_path='img_dir/train',
                                seg_map_path='ann_dir/train'),
               pipeline=SEG_PIPELINE)
    assert str(err.value) == (
        f'{tmp_path}/img_dir/train: no *.tif images (RSSegDataset, '
        f'data_root {str(tmp_path)!r})')
