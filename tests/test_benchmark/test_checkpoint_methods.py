"""Benchmark rows for encoders users already have: a torchvision ResNet-18
checkpoint built here (no download) through the benchmark's extract ->
fine-tune -> test on 4-band data (its 3-band stem adapted by the band rule,
asked for with partial=True), and the plan and spec checks of such rows."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
import torchvision
from _support import write_tif

from false_plugin.benchmark import (ForkLauncher, load_spec, plan,
                                    run_benchmark, slug)
from false_plugin.compat import safe_torch_load

SEG_CONFIG = 'tests/configs/deeplabv3plus_r18_tiny.py'
ROW = 'ImageNet (torchvision)'
DIR = slug(ROW)  # ImageNet--torchvision
FOUR_BANDS = [
    'model.backbone.in_channels=4', 'model.data_preprocessor.bgr_to_rgb=False',
    'model.data_preprocessor.mean=[100,100,100,100]',
    'model.data_preprocessor.std=[60,60,60,60]'
]


@pytest.fixture(scope='module')
def torchvision_resnet18(tmp_path_factory) -> str:
    """torchvision's ResNet-18 state dict (random weights), saved as the
    files of download.pytorch.org are: a plain dict of tensors."""
    path = tmp_path_factory.mktemp('tv') / 'resnet18-f37072fd.pth'
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18(weights=None).state_dict(), path)
    return str(path)


def _four_band_seg_root(root) -> str:
    """32 px 4-band uint8 tiles of 8 px blocks of 3 classes (2 train, 1
    test) and their class table."""
    rng = np.random.default_rng(0)
    colours = np.array([[200, 150, 0, 30], [0, 0, 255, 90], [0, 128, 0, 200]])
    for split, num in (('train', 2), ('test', 1)):
        for kind in ('img_dir', 'ann_dir'):
            (root / kind / split).mkdir(parents=True)
        for i in range(num):
            label = np.kron(rng.integers(0, 3, (4, 4)),
                            np.ones((8, 8), int)).astype(np.uint8)
            img = colours[label].transpose(2, 0, 1)
            write_tif(root / 'img_dir' / split / f'p{i}.tif',
                      img.astype(np.uint8))
            write_tif(root / 'ann_dir' / split / f'p{i}.tif', label[None])
    (root / 'classes.csv').write_text(
        'name,index,r,g,b\nsoil,0,200,150,0\nwater,1,0,0,255\n'
        'tree,2,0,128,0\n')
    (root / 'splits').mkdir()
    (root / 'splits' / 'train_all.txt').write_text('p0\np1\n')
    return str(root)


def _spec(tmp_path, checkpoint, **row):
    spec = tmp_path / 'spec.py'
    spec.write_text(f'''
work_dir = {str(tmp_path / 'work')!r}
seeds = [0]
pretrain = [dict(name={ROW!r}, checkpoint={checkpoint!r}, **{row!r})]
finetune = dict(config={SEG_CONFIG!r},
                fractions={{'all': 'splits/train_all.txt'}})
''')
    return str(spec)


def test_existing_checkpoint_row_end_to_end(tmp_path, torchvision_resnet18,
                                            monkeypatch):
    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    seg_root = _four_band_seg_root(tmp_path / 'seg')
    spec = load_spec(
        _spec(tmp_path, torchvision_resnet18, format='torchvision',
              partial=True),
        finetune_cfg_options=FOUR_BANDS + [
            f'train_dataloader.dataset.data_root={seg_root}',
            f'test_dataloader.dataset.data_root={seg_root}',
            'train_cfg.max_iters=2', 'default_hooks.checkpoint.interval=2'
        ])
    stages = plan(spec)
    assert [s.kind for s in stages] == ['extract', 'fine-tune', 'test']
    launcher = ForkLauncher(threads=1)
    try:
        written = run_benchmark(spec, launcher=launcher)
    finally:
        launcher.close()

    work = tmp_path / 'work'
    # Extracted strictly from the torchvision keys; the stem adapted to the
    # 4 bands by the band rule, as the log says.
    log = (work / 'pretrain' / DIR / 'seed0' /
           'extract.log').read_text()
    assert ('target: ResNet-18, 4 input channels: 119 keys matched, '
            '0 missing, 0 unexpected, 0 shape mismatches') in log
    assert 'format torchvision: left out (not the backbone): fc.* (2)' in log
    assert ('adapted: conv1.weight: 3-band weights adapted to 4 bands by '
            'the band rule') in log
    backbone = safe_torch_load(
        str(work / 'pretrain' / DIR / 'seed0' /
            'backbone.pth'))['state_dict']
    rgb = safe_torch_load(torchvision_resnet18)['conv1.weight']
    assert torch.allclose(backbone['backbone.conv1.weight'][:, 3],
                          rgb.mean(1) * 0.75)
    assert torch.equal(backbone['backbone.layer4.1.bn2.running_var'],
                       safe_torch_load(torchvision_resnet18)[
                           'layer4.1.bn2.running_var'])
    # The fine-tuning loaded it (partial=True said so), then it was tested
    # and reported like any row.
    ft_dir = work / 'finetune' / DIR / 'all' / 'seed0'
    ft_log = (ft_dir / 'stage.log').read_text()
    assert 'Partial load (partial=True) of ' in ft_log
    assert '120 of 120 tensors loaded' in ft_log
    metrics = json.loads((ft_dir / 'test' / 'metrics.json').read_text())
    assert f'| {ROW} | {metrics["mIoU"]:.2f} ± n/a |' in (
        work / 'results.md').read_text()
    assert str(work / 'results.md') in written
    assert not (work / 'pretrain' / DIR / 'seed0' /
                'stage.log').exists()  # no pretraining ran


def test_plan_and_spec_checks(tmp_path, torchvision_resnet18):
    spec = load_spec(_spec(tmp_path, torchvision_resnet18,
                           format='torchvision'))
    extract, finetune, _ = plan(spec)
    backbone = osp.join(spec.work_dir, 'pretrain', DIR,
                        'seed0', 'backbone.pth')
    assert extract.command[1:5] == [
        torchvision_resnet18, backbone, '--format', 'torchvision'
    ]
    assert '--partial' not in extract.command  # strict by default
    assert f'model.backbone.init_cfg.checkpoint={backbone}' in (
        finetune.command)
    assert not any('partial' in arg for arg in finetune.command)

    with pytest.raises(ValueError, match=r'"ImageNet \(torchvision\)": '
                       "unknown checkpoint format 'timm'"):
        load_spec(_spec(tmp_path, torchvision_resnet18, format='timm'))
    with pytest.raises(ValueError,
                       match='checkpoint missing.pth does not exist'):
        load_spec(_spec(tmp_path, 'missing.pth'))
    with pytest.raises(ValueError, match='has both a config'):
        load_spec(_spec(tmp_path, torchvision_resnet18,
                        config='tests/configs/simclr_resnet18_tiny.py'))
