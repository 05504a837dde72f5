"""``tools/train.py``: a tiny SimCLR pretraining, interrupted and resumed."""
import os
import os.path as osp
import shutil

import pytest
import torch

from false_plugin.compat import safe_torch_load

# Deterministic views: the uninterrupted and the resumed run must produce the
# same weights bit for bit.
CONFIG = 'tests/configs/simclr_resnet18_tiny_deterministic.py'


def _train(run_tool, work_dir, data_root, *extra):
    return run_tool([
        'tools/train.py', CONFIG, '--work-dir', work_dir, *extra,
        '--cfg-options', f'train_dataloader.dataset.data_prefix={data_root}'
    ])


def _assert_state_equal(a, b, where=''):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _assert_state_equal(a[key], b[key], f'{where}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_state_equal(x, y, f'{where}[{i}]')
    else:
        assert a == b, where


@pytest.fixture(scope='module')
def full_run(tmp_path_factory):
    """An uninterrupted 4-epoch run: (work dir, data root)."""
    from _support import make_png_tiles, run_repo_tool
    root = tmp_path_factory.mktemp('train')
    data_root = make_png_tiles(root / 'tiles')
    full = str(root / 'full')
    _train(run_repo_tool, full, data_root)
    return full, data_root


def test_train_interrupt_and_resume(tmp_path, full_run, run_tool):
    full, tiny_png_folder = full_run
    assert sorted(f for f in os.listdir(full) if f.endswith('.pth')) == [
        f'epoch_{i}.pth' for i in range(1, 5)
    ]

    # An interrupted run: the work dir as it was after epoch 2.
    interrupted = tmp_path / 'interrupted'
    interrupted.mkdir()
    shutil.copy(osp.join(full, 'epoch_2.pth'), interrupted)
    (interrupted / 'last_checkpoint').write_text(
        str(interrupted / 'epoch_2.pth'))
    proc = _train(run_tool, str(interrupted), tiny_png_folder, '--resume')
    assert 'resumed epoch: 2, iter: 4' in proc.stdout + proc.stderr

    ref = safe_torch_load(osp.join(full, 'epoch_4.pth'), map_location='cpu')
    got = safe_torch_load(
        str(interrupted / 'epoch_4.pth'), map_location='cpu')
    assert got['meta']['iter'] == ref['meta']['iter'] == 8
    assert got['meta']['epoch'] == ref['meta']['epoch'] == 4
    _assert_state_equal(got['optimizer'], ref['optimizer'], 'optimizer')
    _assert_state_equal(got['param_schedulers'], ref['param_schedulers'],
                        'param_schedulers')
    _assert_state_equal(got['state_dict'], ref['state_dict'], 'state_dict')


def test_train_resume_from_explicit_checkpoint(tmp_path, full_run, run_tool):
    first, tiny_png_folder = full_run
    second = str(tmp_path / 'second')
    proc = _train(run_tool, second, tiny_png_folder, '--resume',
                  osp.join(first, 'epoch_3.pth'))
    assert 'resumed epoch: 3, iter: 6' in proc.stdout + proc.stderr
    ckpt = safe_torch_load(osp.join(second, 'epoch_4.pth'))
    assert ckpt['meta']['iter'] == 8
