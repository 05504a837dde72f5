"""RSBandCheckHook: a wrong band count stops the run before the forward
pass, naming the file and both counts."""
import os
import os.path as osp

import numpy as np
import pytest
from _support import REPO_ROOT, write_tif
from mmengine.config import Config
from mmengine.runner import Runner

from false_plugin.engine.hooks import BandCountError, add_band_check


def _config(name, work_dir):
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'tests', 'configs', name))
    cfg.work_dir = str(work_dir)
    add_band_check(cfg)
    add_band_check(cfg)  # idempotent
    assert [h['type'] for h in cfg.custom_hooks].count('RSBandCheckHook') == 1
    return cfg


def test_segmentation_run_with_a_4_band_tile(tmp_path):
    for kind in ('img_dir/train', 'ann_dir/train'):
        os.makedirs(tmp_path / kind)
    write_tif(tmp_path / 'img_dir/train/rgbir.tif',
              np.full((4, 32, 32), 90, np.uint8))
    write_tif(tmp_path / 'ann_dir/train/rgbir.tif',
              np.ones((1, 32, 32), np.uint8))
    (tmp_path / 'classes.csv').write_text(
        'name,index,r,g,b\na,0,0,0,0\nb,1,1,1,1\nc,2,2,2,2\n')
    cfg = _config('deeplabv3plus_r18_tiny.py', tmp_path / 'work')
    cfg.train_dataloader.dataset.data_root = str(tmp_path)
    cfg.model.backbone.init_cfg = None  # the test sets no checkpoint
    with pytest.raises(BandCountError) as err:
        Runner.from_cfg(cfg).train()
    assert str(err.value).startswith(
        f'{tmp_path}/img_dir/train/rgbir.tif: the image has 4 band(s), the '
        'model takes 3 (backbone in_channels)')


def test_pretraining_run_with_a_5_band_scene(tmp_path, scene):
    img, _ = scene
    cfg = _config('simclr_resnet18_tiny.py', tmp_path / 'work')
    cfg.train_dataloader.dataset = dict(
        type='RSTileSamplingDataset', img_files=[img], patch_size=12,
        num_samples=4, min_valid_fraction=1.0, pipeline=[
            dict(type='LoadRSImageFromFile', nodata_value=0),
            dict(type='MultiView', num_views=2, transforms=[[
                dict(type='RandomResizedCrop', size=8, backend='cv2')]]),
            dict(type='PackSelfSupInputs', meta_keys=['img_path'])
        ])
    with pytest.raises(BandCountError,
                       match=r'scene.tif: the image has 5 band\(s\), the '
                       'model takes 3'):
        Runner.from_cfg(cfg).train()
