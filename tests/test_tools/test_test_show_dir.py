"""tools/test.py --show-dir: image / ground truth / prediction overlays of a
multispectral test set, bands chosen with --rgb-bands."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import torch
from _support import REPO_ROOT, write_tif
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

CONFIG = 'tests/configs/deeplabv3plus_r18_tiny.py'
SIZE = 32
PALETTE = [(200, 150, 0), (0, 0, 255), (0, 128, 0)]
OPTIONS = [
    'model.backbone.in_channels=4', 'model.backbone.init_cfg=None',
    'model.data_preprocessor.bgr_to_rgb=False',
    'model.data_preprocessor.mean=[500,500,500,500]',
    'model.data_preprocessor.std=[300,300,300,300]'
]


def _four_band_test_set(root) -> dict:
    """Two 4-band uint16 tiles: band 1 a checkerboard, band 2 a vertical
    ramp, band 3 a horizontal ramp, band 4 noise; block labels with an
    ignored strip."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:SIZE, :SIZE]
    labels = {}
    for kind in ('img_dir', 'ann_dir'):
        os.makedirs(osp.join(root, kind, 'test'))
    for i in range(2):
        img = np.stack([
            ((yy // 4 + xx // 4) % 2) * 1000, yy * 30, xx * 30 + 100,
            rng.integers(0, 1000, (SIZE, SIZE))
        ]).astype(np.uint16)
        label = np.kron(rng.integers(0, 3, (4, 4)),
                        np.ones((8, 8), int)).astype(np.uint8)
        label[:, :3] = 255
        write_tif(osp.join(root, 'img_dir', 'test', f't{i}.tif'), img)
        write_tif(osp.join(root, 'ann_dir', 'test', f't{i}.tif'), label[None])
        labels[f't{i}'] = label
    with open(osp.join(root, 'classes.csv'), 'w') as f:
        f.write('name,index,r,g,b\n' + ''.join(
            f'{name},{i},{r},{g},{b}\n'
            for i, (name, (r, g, b)) in enumerate(
                zip(('soil', 'water', 'tree'), PALETTE))))
    return labels


def _colour(index_map: np.ndarray) -> np.ndarray:
    lut = np.zeros((256, 3), np.uint8)
    lut[:3] = PALETTE
    return lut[index_map]


def test_show_dir_writes_overlays(tmp_path, run_tool):
    data_root = str(tmp_path / 'data')
    labels = _four_band_test_set(data_root)
    options = OPTIONS + [f'test_dataloader.dataset.data_root={data_root}']
    # A checkpoint of the 4-band model (random weights: the overlays show
    # whatever it predicts).
    cfg = Config.fromfile(osp.join(REPO_ROOT, CONFIG))
    cfg.model.backbone.update(in_channels=4, init_cfg=None)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
    torch.save({'state_dict': model.state_dict(), 'meta': {}},
               tmp_path / 'seg.pth')

    vis = tmp_path / 'vis'
    run_tool([
        'tools/test.py', CONFIG,
        str(tmp_path / 'seg.pth'), '--work-dir',
        str(tmp_path / 'test'), '--show-dir',
        str(vis), '--rgb-bands', '3', '2', '1', '--cfg-options', *options
    ], env={'OMP_NUM_THREADS': '1'})
    metrics = json.loads((tmp_path / 'test' / 'metrics.json').read_text())
    assert sorted(os.listdir(vis)) == [
        't0.png', 't0_pred.png', 't1.png', 't1_pred.png'
    ]
    # The metrics are those of the written predictions, recomputed here:
    # IoU a class over both tiles, the ignored strip left out, mIoU over
    # the classes present in labels or predictions.
    intersection, union = np.zeros(3), np.zeros(3)
    for stem, label in labels.items():
        pred = cv2.imread(str(vis / f'{stem}_pred.png'), cv2.IMREAD_UNCHANGED)
        kept = label != 255
        for c in range(3):
            is_label, is_pred = (label == c) & kept, (pred == c) & kept
            intersection[c] += (is_label & is_pred).sum()
            union[c] += (is_label | is_pred).sum()
    iou = 100 * intersection / np.where(union > 0, union, np.nan)
    assert abs(metrics['mIoU'] - np.nanmean(iou)) < 0.01
    assert abs(metrics['IoU.water'] - iou[1]) < 0.01
    for stem, label in labels.items():
        row = cv2.imread(str(vis / f'{stem}.png'))[..., ::-1]  # RGB
        pred = cv2.imread(str(vis / f'{stem}_pred.png'), cv2.IMREAD_UNCHANGED)
        assert row.shape == (SIZE, 3 * SIZE + 4, 3)
        assert pred.shape == (SIZE, SIZE) and pred.max() < 3
        image = row[:, :SIZE]
        ground_truth = row[:, SIZE + 2:2 * SIZE + 2]
        prediction = row[:, 2 * SIZE + 4:]
        # Ground truth and prediction in the class table's palette, the
        # ignored strip black.
        assert np.array_equal(ground_truth, _colour(label))
        assert not ground_truth[:, :3].any()
        assert np.array_equal(prediction, _colour(pred))
        # Red = band 3 (horizontal ramp), green = band 2 (vertical ramp),
        # blue = band 1 (checkerboard), each stretched 2-98% to 0-255.
        red, green, blue = image.transpose(2, 0, 1).astype(int)
        assert (np.diff(red, axis=1) >= 0).all()
        assert (np.diff(green, axis=0) >= 0).all()
        assert red.min() == green.min() == 0
        assert red.max() == green.max() == 255
        assert set(np.unique(blue)) == {0, 255}
