"""tools/benchmark.py end to end on a tiny fixture, and extract_backbone."""
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from _support import make_png_tiles, run_repo_tool
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

from false_plugin.compat import UnsafeCheckpointError


def _seg_fixture(root):
    """An RSSegDataset root: 32 px RGB GeoTIFF patches, 3 classes."""
    import rasterio
    rng = np.random.default_rng(0)
    for split, num in (('train', 4), ('test', 2)):
        for kind in ('img_dir', 'ann_dir'):
            os.makedirs(osp.join(root, kind, split))
        for i in range(num):
            label = rng.integers(0, 3, (32, 32)).astype(np.uint8)
            img = (label * 70 + rng.integers(0, 50, (3, 32, 32))).astype(
                np.uint8)
            for kind, data in (('img_dir', img), ('ann_dir', label[None])):
                with rasterio.open(
                        osp.join(root, kind, split, f'p{i}.tif'), 'w',
                        driver='GTiff', width=32, height=32,
                        count=data.shape[0], dtype='uint8') as dst:
                    dst.write(data)
    with open(osp.join(root, 'classes.csv'), 'w') as f:
        f.write('name,index,r,g,b\nsoil,0,200,150,0\nwater,1,0,0,255\n'
                'tree,2,0,128,0\n')
    with open(osp.join(root, 'train_half.txt'), 'w') as f:
        f.write('p0\np2\n')


@pytest.fixture(scope='module')
def benchmark_run(tmp_path_factory):
    root = tmp_path_factory.mktemp('bench')
    tiles = make_png_tiles(root / 'tiles')
    seg_root = str(root / 'seg')
    _seg_fixture(seg_root)
    spec = root / 'spec.py'
    spec.write_text(f'''
work_dir = {str(root / 'work')!r}
seeds = [0]
pretrain = [
    dict(name='SimCLR', config='tests/configs/simclr_resnet18_tiny.py'),
    dict(name='FALSE-SimCLR',
         config='tests/configs/false-simclr_resnet18_tiny.py',
         baseline='SimCLR'),
]
pretrain_cfg_options = [
    'train_dataloader.dataset.data_prefix={tiles}', 'train_cfg.max_epochs=1'
]
finetune = dict(
    config='tests/configs/deeplabv3plus_r18_tiny.py',
    fractions={{'half': 'train_half.txt'}},
    cfg_options=[
        'train_dataloader.dataset.data_root={seg_root}',
        'test_dataloader.dataset.data_root={seg_root}'
    ],
    show_dir=True)
''')
    proc = run_repo_tool(['tools/benchmark.py', str(spec)], timeout=900)
    return root, proc


def test_benchmark_writes_results(benchmark_run):
    root, proc = benchmark_run
    work = root / 'work'
    assert '(1/8) pretrain SimCLR seed 0' in proc.stdout
    text = (work / 'results.md').read_text()
    results = json.loads((work / 'results.json').read_text())
    for name in ('SimCLR', 'FALSE-SimCLR'):
        metrics = results['metrics'][name]['half']['0']
        assert 0 <= metrics['mIoU'] <= 100
        assert f'| {name} | {metrics["mIoU"]:.2f} ± 0.00 |' in text
    diff = (results['metrics']['FALSE-SimCLR']['half']['0']['mIoU'] -
            results['metrics']['SimCLR']['half']['0']['mIoU'])
    assert f'| FALSE-SimCLR − SimCLR | {diff:.2f} ± 0.00 |' in text
    assert 'FNS diagnostics' in text
    assert 'fns_precision' in results['fns']['FALSE-SimCLR']['0']
    for png in ('miou.png', 'per_class_iou.png'):
        assert (work / png).stat().st_size > 0
    vis = work / 'finetune' / 'SimCLR' / 'half' / 'seed0' / 'test' / 'vis'
    assert sorted(os.listdir(vis)) == [
        'p0.png', 'p0_pred.png', 'p1.png', 'p1_pred.png'
    ]


def test_benchmark_resumes(benchmark_run):
    root, _ = benchmark_run
    proc = run_repo_tool(['tools/benchmark.py', str(root / 'spec.py')])
    assert '8 stages, 8 already done' in proc.stdout


def test_extract_backbone_round_trip(benchmark_run, tmp_path):
    root, _ = benchmark_run
    pre = root / 'work' / 'pretrain' / 'FALSE-SimCLR' / 'seed0'
    ckpt = torch.load(pre / 'epoch_1.pth', map_location='cpu',
                      weights_only=False)
    backbone = torch.load(pre / 'backbone.pth', weights_only=True)
    expected = {
        k: v
        for k, v in ckpt['state_dict'].items() if k.startswith('backbone.')
    }
    assert backbone['state_dict'].keys() == expected.keys()
    for key, value in expected.items():
        assert torch.equal(backbone['state_dict'][key], value)
    # mmseg loads every key through init_cfg=Pretrained with the prefix.
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(
            dict(type='ResNet', depth=18,
                 init_cfg=dict(type='Pretrained',
                               checkpoint=str(pre / 'backbone.pth'),
                               prefix='backbone.')))
    model.init_weights()
    for key, value in model.state_dict().items():
        assert torch.equal(value, expected['backbone.' + key]), key


def test_extract_backbone_multispectral_and_errors(tmp_path):
    with DefaultScope.overwrite_default_scope('mmseg'):
        net = MODELS.build(dict(type='ResNet', depth=18, in_channels=5))
    state = {'backbone.' + k: v for k, v in net.state_dict().items()}
    torch.save({'state_dict': state}, tmp_path / 'ms.pth')
    proc = run_repo_tool([
        'tools/model_converters/extract_backbone.py',
        str(tmp_path / 'ms.pth'),
        str(tmp_path / 'out.pth')
    ])
    assert 'ResNet-18, 5 input channels: 120 keys matched, 0 missing' in (
        proc.stdout)

    torch.save({'state_dict': {'neck.fc.weight': torch.ones(2)}},
               tmp_path / 'nobackbone.pth')
    with pytest.raises(AssertionError, match='no "backbone.\\*" weights'):
        run_repo_tool([
            'tools/model_converters/extract_backbone.py',
            str(tmp_path / 'nobackbone.pth'),
            str(tmp_path / 'x.pth')
        ])
    torch.save({'state_dict': state, 'evil': UnsafeCheckpointError},
               tmp_path / 'evil.pth')
    with pytest.raises(AssertionError, match='Refusing to load checkpoint'):
        run_repo_tool([
            'tools/model_converters/extract_backbone.py',
            str(tmp_path / 'evil.pth'),
            str(tmp_path / 'y.pth')
        ])
