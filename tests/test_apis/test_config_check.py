"""Configs fail loudly: unknown top-level keys stop the run with the closest
known key, a child's band statistics and run length reach the model and the
schedule, and test/predict refuse a pretraining config, naming it."""
import math
import os.path as osp
import subprocess
import sys

import pytest
import torch
from _support import REPO_ROOT
from mmengine.config import Config

from false_plugin.apis.config_check import (ConfigError, check_config_keys,
                                            prepare_config)
from false_plugin.apis.config_derived import fit_schedule_to_run

DEMO = osp.join(REPO_ROOT, 'configs', 'demo')
PRETRAIN = osp.join(DEMO, 'simclr_resnet18_1xb64-coslr-12e_raleigh.py')
SEG = osp.join(DEMO, 'deeplabv3plus_r18-d8_frozen-1xb8-200it_raleigh.py')


def child(tmp_path, base: str, body: str) -> str:
    """A child config of ``base`` in ``tmp_path``."""
    path = tmp_path / 'child.py'
    path.write_text(f'_base_ = {base!r}\n{body}')
    return str(path)


def test_misspelt_key_is_named_with_the_closest_known_key(tmp_path):
    path = child(tmp_path, PRETRAIN,
                 "train_cgf = dict(max_epochs=2)\nmy_note = 'x'\n")
    cfg = Config.fromfile(path)
    with pytest.raises(ConfigError) as err:
        check_config_keys(cfg, path)
    assert str(err.value) == (
        f'{path}: unknown top-level key(s), read by nothing:\n'
        "  'my_note'\n"
        "  'train_cgf' (did you mean 'train_cfg'?)\n"
        'Rename or remove them; a variable of your own must be used in the '
        'same file.')


def test_variables_a_config_reads_are_known(tmp_path):
    """A variable used in the same file, or a base's variable the child
    sets, is not unknown."""
    path = child(tmp_path, PRETRAIN, 'lr = 0.1\n'
                 'optimizer = dict(lr=lr)\n'
                 'band_mean = [1, 2, 3, 4, 5]\n')
    check_config_keys(Config.fromfile(path), path)


def test_train_py_stops_before_the_run(tmp_path):
    """End to end: exit 1, the message names the config and the key, no
    work directory is made."""
    path = child(tmp_path, PRETRAIN, 'train_cgf = dict(max_epochs=2)\n')
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', path, '--work-dir',
         str(tmp_path / 'work')], cwd=REPO_ROOT, capture_output=True,
        text=True, timeout=300,
        env={'PYTHONPATH': REPO_ROOT, 'PATH': '/usr/bin:/bin'})
    assert proc.returncode == 1
    assert (f"train.py: error: {path}: unknown top-level key(s), read by "
            "nothing:\n  'train_cgf' (did you mean 'train_cfg'?)") \
        in proc.stderr
    assert not (tmp_path / 'work').exists()


def test_test_py_names_a_pretraining_config(tmp_path):
    """End to end: the pretraining config is named before any checkpoint
    is read or metrics written (was a TypeError about train_cfg)."""
    checkpoint = tmp_path / 'epoch_12.pth'
    checkpoint.write_bytes(b'')
    proc = subprocess.run(
        [sys.executable, 'tools/test.py', PRETRAIN, str(checkpoint),
         '--work-dir', str(tmp_path / 'work')], cwd=REPO_ROOT,
        capture_output=True, text=True, timeout=300,
        env={'PYTHONPATH': REPO_ROOT, 'PATH': '/usr/bin:/bin'})
    assert proc.returncode == 1
    assert (f"test.py: error: {PRETRAIN}: is a pretraining config (model "
            'SimCLR, no decode_head, no test_dataloader); test.py needs a '
            'segmentation config') in proc.stderr
    assert not (tmp_path / 'work').exists()


def cosine_lrs(scheduler_cfg: dict, epochs: int) -> list:
    """The learning rate of each epoch under a real mmengine scheduler."""
    from mmengine.registry import PARAM_SCHEDULERS
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))],
                                lr=0.3)
    scheduler = PARAM_SCHEDULERS.build(dict(scheduler_cfg,
                                            optimizer=optimizer))
    lrs = []
    for _ in range(epochs):
        lrs.append(optimizer.param_groups[0]['lr'])
        scheduler.step()
    return lrs


@pytest.mark.parametrize('epochs', [3, 12, 40])
def test_cosine_schedule_follows_max_epochs(tmp_path, epochs):
    path = child(tmp_path, PRETRAIN,
                 f'train_cfg = dict(max_epochs={epochs})\n')
    cfg = Config.fromfile(path)
    prepare_config(cfg, path, 'train.py')
    warmup, cosine = cfg.param_scheduler
    assert (warmup.begin, warmup.end) == (0, 1)
    assert (cosine.begin, cosine.end, cosine.T_max) == (1, epochs,
                                                        epochs - 1)
    # The rate of each epoch of the run: full at the warm-up's end, then
    # down every epoch to the last one (not flat after the 12 epochs of
    # the base config).
    lrs = cosine_lrs(dict(cosine), epochs)
    assert lrs[1] == pytest.approx(0.3)
    assert all(a > b for a, b in zip(lrs[1:], lrs[2:]))
    assert lrs[-1] == pytest.approx(
        0.15 * (1 + math.cos(math.pi * (epochs - 2) / (epochs - 1))))


def test_schedule_ending_before_the_run_is_announced(tmp_path):
    cfg = Config(dict(
        train_cfg=dict(max_epochs=40),
        param_scheduler=[dict(type='CosineAnnealingLR', T_max=12, begin=0,
                              end=12, by_epoch=True)]))
    logs = []
    fit_schedule_to_run(cfg, 'c.py', logs.append)
    assert logs == [
        '[config] warning: c.py: the learning-rate schedule ends at epoch '
        '12 of 40: the last 28 epochs keep its final value (leave `end` and '
        '`T_max` out of param_scheduler to follow the run length)']
    cfg.param_scheduler = [dict(type='PolyLR', by_epoch=False,
                                end='max_iters')]
    with pytest.raises(ConfigError, match=r"c.py: param_scheduler\[0\] "
                       r"\(PolyLR\) ends at 'max_iters', which the run does "
                       "not set: a by-iteration scheduler ends at "
                       "'max_iters' and needs train_cfg.max_iters"):
        fit_schedule_to_run(cfg, 'c.py')
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = [dict(type='CosineAnnealingLR', begin=1,
                                end='max_epochs')]
    with pytest.raises(ConfigError, match=r'c.py: param_scheduler\[0\] '
                       r'\(CosineAnnealingLR\) begins at epoch 1 and ends '
                       'at 1; the run has 1 epochs'):
        fit_schedule_to_run(cfg, 'c.py')


def test_child_band_statistics_reach_the_model(tmp_path):
    """Four bands in a child of the 5-band config: the preprocessor and the
    backbone follow, and a 4-band batch goes through."""
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS
    path = child(tmp_path, SEG, 'band_mean = [10.0, 20.0, 30.0, 40.0]\n'
                 'band_std = [1.0, 2.0, 3.0, 4.0]\n')
    cfg = Config.fromfile(path)
    prepare_config(cfg, path, 'train.py')
    assert cfg.model.data_preprocessor.mean == [10.0, 20.0, 30.0, 40.0]
    assert cfg.model.backbone.in_channels == 4
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model).eval()
    data = model.data_preprocessor(
        dict(inputs=[torch.full((4, 64, 64), 20.0)]), False)
    assert data['inputs'][0, 1].eq(0).all()  # (20 - 20) / 2
    with torch.no_grad():
        logits = model.encode_decode(data['inputs'], [dict(
            img_shape=(64, 64), pad_shape=(64, 64), ori_shape=(64, 64))])
    assert logits.shape == (1, 7, 64, 64)


RS_SEG = osp.join(REPO_ROOT, 'configs', 'seg',
                  'deeplabv3plus_r50-d8_ft-1xb16-1.3k_rs-1pct.py')


def test_band_statistics_from_the_command_line():
    """``--cfg-options band_mean=...`` is followed; the preprocessor's own
    mean/std given there (the older way, in the rs configs' header) stay."""
    four = dict(band_mean=[1.0, 2.0, 3.0, 4.0], band_std=[5.0, 6.0, 7.0, 8.0])
    cfg = Config.fromfile(RS_SEG)
    cfg.merge_from_dict(four)
    prepare_config(cfg, RS_SEG, 'train.py', four)
    assert cfg.model.data_preprocessor.std == [5.0, 6.0, 7.0, 8.0]
    assert cfg.model.backbone.in_channels == 4
    direct = {'model.data_preprocessor.mean': [1.0, 2.0, 3.0, 4.0],
              'model.data_preprocessor.std': [5.0, 6.0, 7.0, 8.0],
              'model.backbone.in_channels': 4}
    cfg = Config.fromfile(RS_SEG)
    cfg.merge_from_dict(direct)
    prepare_config(cfg, RS_SEG, 'train.py', direct)
    assert cfg.model.data_preprocessor.mean == [1.0, 2.0, 3.0, 4.0]
    assert cfg.model.backbone.in_channels == 4
    # Four statistics for a 3-band backbone: stopped, naming the keys.
    del direct['model.backbone.in_channels']
    cfg = Config.fromfile(RS_SEG)
    cfg.merge_from_dict(direct)
    with pytest.raises(ConfigError, match='model.backbone.in_channels=3 but '
                       r'the data preprocessor normalises 4 band\(s\)'):
        prepare_config(cfg, RS_SEG, 'train.py', direct)


def test_band_statistics_set_in_a_middle_config_are_not_ignored(tmp_path):
    """A base's band_mean that its preprocessor never read: an error, not
    a 5-band preprocessor on 4-band statistics."""
    middle = tmp_path / 'middle.py'
    middle.write_text(f'_base_ = {SEG!r}\nband_mean = [1.0, 2.0, 3.0, 4.0]\n'
                      'band_std = [1.0, 1.0, 1.0, 1.0]\n')
    top = tmp_path / 'top.py'
    top.write_text("_base_ = './middle.py'\n")
    with pytest.raises(ConfigError, match=f'^{top}: band_mean=.*a base '
                       'config set band_mean/band_std after the '
                       'preprocessor read them'):
        prepare_config(Config.fromfile(str(top)), str(top), 'train.py')


def test_band_statistics_of_different_lengths_are_refused(tmp_path):
    path = child(tmp_path, SEG, 'band_mean = [10.0, 20.0, 30.0, 40.0]\n')
    with pytest.raises(ConfigError, match='band_mean and band_std must both '
                       'be set, one value a band'):
        prepare_config(Config.fromfile(path), path, 'train.py')


@pytest.mark.parametrize('tool', ['test.py', 'predict.py'])
def test_pretraining_config_refused_by_test_and_predict(tool):
    with pytest.raises(ConfigError, match=f'^{PRETRAIN}: is a pretraining '
                       r'config \(model SimCLR, no decode_head, no '
                       f'test_dataloader\\); {tool} needs a segmentation'):
        prepare_config(Config.fromfile(PRETRAIN), PRETRAIN, tool)
    prepare_config(Config.fromfile(SEG), SEG, tool)
