"""The CUDA path: FNCCLoss, the FALSE algorithms under AMP, DeepLabV3+ and
``tools/train.py`` on a GPU. Marked ``cuda`` and skipped where no GPU is
visible (``pytest -m cuda`` runs only these; ``tools/gpu_check.sh`` does)."""
import copy
import math
import os.path as osp
import re

import pytest
import torch
from _support import MODELS_CFG, REPO_ROOT, make_png_tiles, run_repo_tool
from mmengine.optim import AmpOptimWrapper
from mmengine.registry import DefaultScope
from mmselfsup.registry import MODELS

from false_plugin.models.losses import FNCCLoss

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(),
                       reason='no CUDA device visible'),
]

SELECTIONS = dict(official=dict(selection='official'),
                  per_anchor=dict(selection='per_anchor', num_candidates=2))


def _views(n=64, d=32, noise=0.1, seed=0):
    gen = torch.Generator().manual_seed(seed)
    v1 = torch.randn(n, d, generator=gen, dtype=torch.float64)
    return torch.cat([v1, v1 + noise * torch.randn(n, d, generator=gen,
                                                   dtype=torch.float64)])


def _loss_and_grad(loss_fn, z):
    z = z.clone().requires_grad_(True)
    loss = loss_fn(z)
    loss.backward()
    pairs = {tuple(p) for p in loss_fn.last_stats['pairs'].tolist()}
    return loss.detach().cpu(), z.grad.cpu(), pairs


@pytest.mark.parametrize('selection', sorted(SELECTIONS))
@pytest.mark.parametrize('dtype', [torch.float64, torch.float32])
def test_fncc_cuda_equals_cpu_float64(selection, dtype):
    loss_fn = FNCCLoss(temperature=0.2, positive_threshold=0.8,
                       **SELECTIONS[selection])
    z = _views()
    ref_loss, ref_grad, ref_pairs = _loss_and_grad(loss_fn, z)
    assert ref_pairs
    loss, grad, pairs = _loss_and_grad(loss_fn, z.to('cuda', dtype))
    tol = dict(atol=1e-10, rtol=1e-10) if dtype == torch.float64 else dict(
        atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(loss.double(), ref_loss, **tol)
    torch.testing.assert_close(grad.double(), ref_grad, **tol)
    assert pairs == ref_pairs


@pytest.mark.parametrize('selection', sorted(SELECTIONS))
@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
def test_fncc_autocast_finite(selection, dtype):
    loss_fn = FNCCLoss(temperature=0.05, positive_threshold=0.5,
                       **SELECTIONS[selection])
    proj = torch.nn.Linear(32, 16).cuda()
    z = _views(n=256).float().cuda()
    with torch.autocast('cuda', dtype=dtype):
        loss = loss_fn(proj(z))
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(proj.weight.grad).all()


@pytest.mark.parametrize('name',
                         ['FALSESimCLR', 'FALSEMoCo', 'FALSEDenseCL'])
def test_false_algorithm_amp_step(name):
    from mmselfsup.structures import SelfSupDataSample
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        model = MODELS.build(copy.deepcopy(MODELS_CFG[name])).cuda()
    optim = AmpOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
        dtype='bfloat16')
    gen = torch.Generator().manual_seed(0)
    samples = []
    for label in (0, 1, 0, 2, 1, 3, 2, 0):
        sample = SelfSupDataSample()
        sample.set_metainfo(dict(dominant_label=label))
        samples.append(sample)
    for _ in range(2):  # the MoCo / DenseCL label queue fills at step 1
        data = dict(inputs=[torch.randn(8, 3, 32, 32, generator=gen)
                            for _ in range(2)], data_samples=samples)
        log = model.train_step(data, optim)
        assert all(torch.isfinite(v) for v in log.values())


def test_deeplabv3plus_step():
    from mmseg.registry import MODELS as SEG_MODELS
    from mmseg.structures import SegDataSample
    from mmengine.config import Config
    from mmengine.structures import PixelData
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'tests', 'configs',
                                   'deeplabv3plus_r18_tiny.py'))
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = SEG_MODELS.build(cfg.model).cuda()
    optim = AmpOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.01),
        dtype='bfloat16')
    samples = []
    for _ in range(2):
        sample = SegDataSample(
            gt_sem_seg=PixelData(data=torch.randint(0, 3, (1, 32, 32))))
        sample.set_metainfo(dict(img_shape=(32, 32), ori_shape=(32, 32),
                                 pad_shape=(32, 32)))
        samples.append(sample)
    data = dict(inputs=[torch.randint(0, 255, (3, 32, 32), dtype=torch.uint8)
                        for _ in range(2)], data_samples=samples)
    log = model.train_step(data, optim)
    assert all(torch.isfinite(v) for v in log.values())


def test_train_tool_on_cuda(tmp_path):
    tiles = make_png_tiles(tmp_path / 'tiles')
    proc = run_repo_tool([
        'tools/train.py', 'tests/configs/false-simclr_resnet18_tiny.py',
        '--work-dir', str(tmp_path / 'work'), '--amp', '--cfg-options',
        f'train_dataloader.dataset.data_root={tiles}',
        'train_cfg.max_epochs=1'
    ])
    log = proc.stdout + proc.stderr
    assert 'CUDA available: True' in log
    losses = [float(v) for v in re.findall(r' loss: (\S+)', log)]
    assert losses and all(math.isfinite(v) for v in losses)
    assert osp.exists(tmp_path / 'work' / 'epoch_1.pth')
