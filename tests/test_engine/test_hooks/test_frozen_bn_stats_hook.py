"""FrozenBNStatsHook: a frozen encoder's BatchNorm statistics are the average
of the training images' batch statistics, and training keeps them."""
import os
import os.path as osp

import numpy as np
import torch
from _support import REPO_ROOT, write_tif
from mmengine.config import Config
from mmengine.runner import Runner
from torch.nn.modules.batchnorm import _BatchNorm

from false_plugin.compat import safe_torch_load

NUM_IMAGES = 5  # batches of 2, 2 and 1


def _runner(tmp_path, max_iters=2):
    for kind in ('img_dir/train', 'ann_dir/train'):
        os.makedirs(tmp_path / kind, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(NUM_IMAGES):
        # uint16 imagery with a different brightness per tile
        img = rng.integers(0, 2000, (3, 32, 32)) + 3000 * i
        write_tif(tmp_path / f'img_dir/train/{i}.tif', img.astype(np.uint16))
        write_tif(tmp_path / f'ann_dir/train/{i}.tif',
                  rng.integers(0, 3, (1, 32, 32)).astype(np.uint8))
    (tmp_path / 'classes.csv').write_text(
        'name,index,r,g,b\na,0,0,0,0\nb,1,1,1,1\nc,2,2,2,2\n')
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'tests', 'configs', 'deeplabv3plus_r18_tiny.py'))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_dataloader.dataset.data_root = str(tmp_path)
    cfg.model.data_preprocessor.update(mean=[5000.0] * 3, std=[4000.0] * 3)
    cfg.model.backbone.update(init_cfg=None, frozen_stages=4, norm_eval=True)
    cfg.train_cfg.max_iters = max_iters
    cfg.default_hooks.checkpoint.interval = max_iters
    cfg.custom_hooks = [dict(type='FrozenBNStatsHook')]
    return Runner.from_cfg(cfg)


def _expected_stem_stats(runner):
    """Mean over the batches (in dataset order) of the stem BatchNorm's input
    statistics, computed here without BatchNorm."""
    model = runner.model
    dataset = runner.train_dataloader.dataset
    batch_size = runner.train_dataloader.batch_size
    means, variances = [], []
    with torch.no_grad():
        for start in range(0, len(dataset), batch_size):
            items = [dataset[i] for i in
                     range(start, min(start + batch_size, len(dataset)))]
            batch = runner.train_dataloader.collate_fn(items)
            x = model.data_preprocessor(batch, training=True)['inputs']
            y = model.backbone.conv1(x).transpose(0, 1).flatten(1)
            means.append(y.mean(1))
            variances.append(y.var(1, unbiased=True))
    return torch.stack(means).mean(0), torch.stack(variances).mean(0)


def test_statistics_recomputed_without_changing_the_encoder(tmp_path):
    runner = _runner(tmp_path)
    hook = next(h for h in runner.hooks
                if type(h).__name__ == 'FrozenBNStatsHook')
    backbone = runner.model.backbone
    backbone.train()  # frozen stages and norm_eval put it in eval mode
    norms = [m for m in backbone.modules() if isinstance(m, _BatchNorm)]
    assert all(not m.training for m in norms)
    assert float(backbone.norm1.running_mean.abs().max()) == 0  # random init
    weights = {k: v.clone() for k, v in backbone.state_dict().items()
               if 'running' not in k and 'num_batches' not in k}

    hook.before_train(runner)

    mean, var = _expected_stem_stats(runner)
    torch.testing.assert_close(backbone.norm1.running_mean, mean)
    torch.testing.assert_close(backbone.norm1.running_var, var)
    assert int(backbone.norm1.num_batches_tracked) == 3
    # every layer recomputed, momentum and mode restored, weights untouched
    assert all(int(m.num_batches_tracked) == 3 for m in norms)
    assert all(m.momentum == 0.1 and not m.training for m in norms)
    for key, value in backbone.state_dict().items():
        if key in weights:
            assert torch.equal(value, weights[key]), key


def test_training_keeps_the_statistics(tmp_path):
    runner = _runner(tmp_path)
    runner.train()
    backbone = runner.model.backbone
    mean, var = _expected_stem_stats(runner)
    # frozen and norm_eval: 2 training iterations left them as computed
    torch.testing.assert_close(backbone.norm1.running_mean, mean)
    torch.testing.assert_close(backbone.norm1.running_var, var)
    saved = safe_torch_load(osp.join(runner.work_dir, 'iter_2.pth'),
                            map_location='cpu')['state_dict']
    key = f'backbone.{backbone.norm1_name}.running_mean'
    torch.testing.assert_close(saved[key], mean)
    assert 'recomputed on 5 training images (3 batches)' in open(
        runner.logger.log_file).read()
