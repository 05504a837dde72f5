"""FNSPrecisionHook in a real training run with per-patch labels."""
import cv2
import numpy as np
from mmengine.config import Config
from mmengine.runner import Runner

from false_plugin.engine.hooks import FNSPrecisionHook


def test_fns_precision_in_training(tmp_path, repo_root):
    rng = np.random.default_rng(0)
    for kind in ('img_dir', 'ann_dir'):
        (tmp_path / kind).mkdir()
    for i in range(8):
        cv2.imwrite(str(tmp_path / 'img_dir' / f'{i}.png'),
                    rng.integers(0, 255, (40, 40, 3), np.uint8))
        cv2.imwrite(str(tmp_path / 'ann_dir' / f'{i}.png'),
                    np.full((40, 40), i % 2, np.uint8))
    cfg = Config.fromfile(f'{repo_root}/tests/configs/'
                          'false-simclr_resnet18_tiny.py')
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg.max_epochs = 2
    cfg.train_dataloader.dataset = dict(
        type='RSPatchDataset',
        data_root=str(tmp_path),
        data_prefix=dict(img_path='img_dir', seg_map_path='ann_dir'),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='MultiView', num_views=2,
                 transforms=[[dict(type='RandomResizedCrop', size=32)]]),
            dict(type='PackSelfSupInputs',
                 meta_keys=['img_path', 'dominant_label'])
        ])
    runner = Runner.from_cfg(cfg)
    runner.train()
    hook = next(h for h in runner.hooks if isinstance(h, FNSPrecisionHook))
    summary = hook.summary()
    # The gate is open: every iteration calibrates at least one pair.
    assert summary['pairs'] >= runner.iter
    assert 0 <= summary['precision'] <= 1
    # 4 images of each class per batch of 4 drawn from 8: chance is the
    # share of same-class pairs among distinct images of the batch.
    assert 0 <= summary['chance'] <= 1
    hub = runner.message_hub
    assert hub.get_scalar('train/fns_precision').current() == summary[
        'precision']
    assert hub.get_scalar('train/fns_chance').current() == summary['chance']
