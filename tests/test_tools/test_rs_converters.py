"""Potsdam and DeepGlobe converters on fixtures in the released formats."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import rasterio
from _support import run_repo_tool

from false_plugin.datasets.color_labels import rgb_to_index
from false_plugin.datasets.rs_seg import (POTSDAM_TEST_TILES as TEST_TILES,
                                         POTSDAM_TRAIN_TILES as TRAIN_TILES)

POTSDAM_COLORS = np.array([[255, 255, 255], [0, 0, 255], [0, 255, 255],
                           [0, 255, 0], [255, 255, 0], [255, 0, 0],
                           [0, 0, 0]], np.uint8)


def _tif(path, array):
    with rasterio.open(path, 'w', driver='GTiff', width=array.shape[2],
                       height=array.shape[1], count=array.shape[0],
                       dtype=array.dtype) as dst:
        dst.write(array)


def _isprs_root(root, size=40, bad_tile=None):
    """The unzipped ISPRS folders, with tiny tiles."""
    rng = np.random.default_rng(0)
    for folder in ('2_Ortho_RGB', '4_Ortho_RGBIR', '5_Labels_all'):
        os.makedirs(root / folder)
    for tile in (*TRAIN_TILES, *TEST_TILES):
        index = rng.integers(0, 7, (size, size))
        rgb = POTSDAM_COLORS[index].transpose(2, 0, 1)
        if tile == bad_tile:
            rgb[:, :2, :3] = np.array([10, 20, 30])[:, None, None]
        _tif(root / '5_Labels_all' / f'top_potsdam_{tile}_label.tif', rgb)
        image = rng.integers(0, 255, (4, size, size), dtype=np.uint8)
        _tif(root / '2_Ortho_RGB' / f'top_potsdam_{tile}_RGB.tif', image[:3])
        _tif(root / '4_Ortho_RGBIR' / f'top_potsdam_{tile}_RGBIR.tif', image)
    return index


def test_rgb_to_index_binarize_and_unknown():
    label = np.array([[[250, 3, 252], [0, 0, 0]]], np.uint8)
    out = rgb_to_index(label, [(255, 0, 255)], [(0, 0, 0)], binarize=True)
    assert out.tolist() == [[0, 255]]
    with pytest.raises(ValueError,
                       match=r'x.png: colours not in the palette: '
                       r'\(250, 3, 252\): 1 px'):
        rgb_to_index(label, [(255, 0, 255)], [(0, 0, 0)], path='x.png')


def test_potsdam(tmp_path):
    last_index = _isprs_root(tmp_path / 'isprs')
    out = str(tmp_path / 'potsdam')
    args = ['tools/dataset_converters/potsdam.py', str(tmp_path / 'isprs'),
            '-o', out, '--patch-size', '16', '--stride', '12',
            '--whole-test-tiles']
    proc = run_repo_tool(args)
    # 40 px tiles, 16 px patches, stride 12: 3 x 3 patches per tile.
    assert f'train: {24 * 9} patches' in proc.stdout
    assert f'test: {14 * 9} patches' in proc.stdout
    # The summary: every class by name, black (no label) counted as ignored.
    summary = proc.stdout.split(f'test: {14 * 9} patches\n')[1]
    assert summary.startswith(f'test: {14 * 9} patches ({14 * 9} written now')
    assert '0 impervious_surface ' in summary and '5 clutter ' in summary
    ignored = int(summary.split('ignore value ')[1].split(' ')[0].replace(
        ',', ''))
    assert ignored > 0 and 'image nodata 0 (0.0%)' in summary
    label = cv2.imread(
        osp.join(out, 'ann_dir/test/top_potsdam_7_13_12_24.png'),
        cv2.IMREAD_UNCHANGED)
    expected = last_index[12:28, 24:40]
    np.testing.assert_array_equal(label,
                                  np.where(expected == 6, 255, expected))
    # --whole-test-tiles: the 14 test tiles uncut, for whole-tile evaluation.
    assert 'test_tiles: 14 patches' in proc.stdout
    whole = cv2.imread(osp.join(out, 'ann_dir/test_tiles/top_potsdam_7_13.png'),
                       cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(whole,
                                  np.where(last_index == 6, 255, last_index))
    manifest = open(osp.join(out, 'manifest_train.csv')).read().splitlines()
    assert len(manifest) == 1 + 24 * 9
    assert manifest[1].startswith('top_potsdam_2_10_0_0,')

    proc = run_repo_tool(args)
    assert 'already done' in proc.stdout and 'converted' not in proc.stdout

    rgbir = str(tmp_path / 'rgbir')
    run_repo_tool([*args[:3], rgbir, '--image-type', 'RGBIR',
                   '--patch-size', '16', '--stride', '12'])
    with rasterio.open(
            osp.join(rgbir, 'img_dir/train/top_potsdam_2_10_0_0.tif')) as p:
        assert p.count == 4


def test_potsdam_unknown_colour(tmp_path):
    _isprs_root(tmp_path / 'isprs', bad_tile='3_11')
    with pytest.raises(AssertionError) as err:
        run_repo_tool(['tools/dataset_converters/potsdam.py',
                       str(tmp_path / 'isprs'), '-o',
                       str(tmp_path / 'out'), '--patch-size', '16'])
    assert 'top_potsdam_3_11_label.tif: colours not in the palette: ' \
        '(10, 20, 30): 6 px' in str(err.value)
    # The tiles before the bad one are finished and kept.
    assert os.listdir(tmp_path / 'out' / '.done' / 'train')


def test_deepglobe(tmp_path):
    src = tmp_path / 'train'
    src.mkdir()
    rng = np.random.default_rng(0)
    colors = np.array([[0, 255, 255], [255, 255, 0], [255, 0, 255],
                       [0, 255, 0], [0, 0, 255], [255, 255, 255], [0, 0, 0]])
    indices = {}
    for image_id in ('100', '200', '300', '400', '500'):
        index = indices[image_id] = rng.integers(0, 7, (48, 48))
        mask = colors[index]
        # Released masks are not exactly 0/255.
        mask = np.clip(mask + rng.integers(-3, 4, mask.shape), 0, 255)
        cv2.imwrite(str(src / f'{image_id}_mask.png'),
                    mask.astype(np.uint8)[..., ::-1])
        cv2.imwrite(str(src / f'{image_id}_sat.jpg'),
                    rng.integers(0, 255, (48, 48, 3), dtype=np.uint8))
    out = str(tmp_path / 'deepglobe')
    proc = run_repo_tool(['tools/dataset_converters/deepglobe.py', str(src),
                          '-o', out, '--patch-size', '24', '--stride', '24',
                          '--test-fraction', '0.4'])
    assert 'train: 12 patches' in proc.stdout
    assert 'test: 8 patches' in proc.stdout
    test_ids = open(osp.join(out, 'splits/test_images.txt')).read().split()
    assert len(test_ids) == 2
    labels = [
        cv2.imread(osp.join(out, 'ann_dir', 'train', name),
                   cv2.IMREAD_UNCHANGED)
        for name in os.listdir(osp.join(out, 'ann_dir', 'train'))
    ]
    assert set(np.unique(np.stack(labels))) <= {0, 1, 2, 3, 4, 5, 255}
    # Each patch: the class indices of its window, black (the 7th colour)
    # ignored, whatever the noise on the colours.
    train_ids = sorted(set(indices) - set(test_ids))
    for split, ids in (('train', train_ids), ('test', test_ids)):
        for image_id in ids:
            for y in (0, 24):
                for x in (0, 24):
                    label = cv2.imread(
                        osp.join(out, 'ann_dir', split,
                                 f'{image_id}_{y}_{x}.png'),
                        cv2.IMREAD_UNCHANGED)
                    expected = indices[image_id][y:y + 24, x:x + 24]
                    np.testing.assert_array_equal(
                        label, np.where(expected == 6, 255, expected))
    assert all(n.endswith('.jpg')
               for n in os.listdir(osp.join(out, 'img_dir', 'train')))
