"""Each upstream fix in ``false_plugin.compat`` and a test that needs it."""
import os
import pickle
import subprocess
import sys

import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmengine.runner.checkpoint import CheckpointLoader

from false_plugin.compat import (NotACheckpointError, UnsafeCheckpointError,
                                 safe_torch_load)
from false_plugin.models.checkpoints import CheckpointMismatchError


def test_mmselfsup_loop_registry_is_broken_upstream():
    """Without the fix, a typed train_cfg in scope mmselfsup cannot build."""
    code = ('from mmselfsup.registry import LOOPS\n'
            "LOOPS.get('EpochBasedTrainLoop')\n")
    proc = subprocess.run([sys.executable, '-c', code],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "No module named 'mmselfsup.engine.runner'" in proc.stderr


def test_mmselfsup_loop_registry_fixed():
    from mmselfsup.registry import LOOPS, RUNNERS
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        assert LOOPS.get('EpochBasedTrainLoop').__name__ == (
            'EpochBasedTrainLoop')
        assert LOOPS.get('IterBasedTrainLoop') is not None
        assert RUNNERS.get('Runner') is Runner


def _mmengine_like_checkpoint() -> dict:
    """What a full mmengine checkpoint pickles besides tensors."""
    buffer = HistoryBuffer()
    buffer.update(0.5)
    buffer.update(0.25)
    return dict(
        meta=dict(epoch=2, iter=4, seed=0, cfg='model = dict()'),
        state_dict={'w': torch.ones(2)},
        message_hub=dict(
            log_scalars={'train/loss': buffer},
            runtime_info=dict(iter=4, score=__import__('numpy').float64(1.5)),
            resumed_keys={'train/loss': True}))


def test_mmengine_checkpoint_needs_the_allowlist(tmp_path):
    path = str(tmp_path / 'epoch_2.pth')
    torch.save(_mmengine_like_checkpoint(), path)
    # torch's default (weights_only=True, no allowlist) refuses it ...
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    # ... the allowlist of mmengine's types loads it, through mmengine too.
    ckpt = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    buffer = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(0.375)
    assert ckpt['message_hub']['runtime_info']['score'] == 1.5


class _RunsCode:
    """A pickled object that would create a file when unpickled."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.makedirs, (self.marker, ))


def test_foreign_pickled_object_is_refused(tmp_path):
    marker = str(tmp_path / 'code_ran')
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {}, 'payload': _RunsCode(marker)}, path)
    with pytest.raises(UnsafeCheckpointError) as err:
        CheckpointLoader.load_checkpoint(path, map_location='cpu')
    assert path in str(err.value)
    assert 'makedirs' in str(err.value)
    assert not os.path.exists(marker)


def test_getattr_only_resolves_history_buffer_statistics(tmp_path):
    """``getattr`` is allowed only as HistoryBuffer's statistics lookup."""

    class _GetattrPayload:

        def __reduce__(self):
            return (getattr, (HistoryBuffer, '__init__'))

    path = str(tmp_path / 'getattr.pth')
    torch.save({'payload': _GetattrPayload()}, path)
    with pytest.raises(UnsafeCheckpointError):
        safe_torch_load(path)


def test_collate_fn_with_scope_builds():
    """Cross-package inheritance adds ``_scope_`` to ``collate_fn``."""
    loader = Runner.build_dataloader(
        dict(
            batch_size=2,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate', _scope_='mmselfsup'),
            dataset=[torch.zeros(3) for _ in range(4)]))
    batch = next(iter(loader))
    assert batch.shape == (2, 3)


def test_runner_environment_log_imports_distutils():
    """mmengine's collect_env (every Runner) imports distutils, which Python
    3.12 does not ship; false_plugin makes it importable."""
    from mmengine.utils.dl_utils import collect_env
    assert 'PyTorch' in collect_env()


def test_text_file_is_not_a_checkpoint(tmp_path):
    """torch.load of a text file fails with ``IndexError: pop from empty
    list`` or ``KeyError: 101``, naming nothing; the loader names it."""
    path = tmp_path / 'notes.txt'
    path.write_text('epoch 4: loss 0.3, mIoU 0.64\n')
    with pytest.raises(Exception) as raw:
        torch.load(str(path), weights_only=True)
    assert str(path) not in str(raw.value)
    with pytest.raises(NotACheckpointError,
                       match=f'{path} is not a PyTorch checkpoint '
                       r'\(29 bytes\)'):
        CheckpointLoader.load_checkpoint(str(path), map_location='cpu')


class _Tiny(BaseModel):

    def __init__(self, features: int):
        super().__init__()
        self.fc = torch.nn.Linear(features, 2)

    def forward(self, *args, **kwargs):
        return self.fc(*args)


def test_load_from_is_strict(tmp_path):
    """mmengine loads ``load_from`` with strict=False: another model's
    checkpoint logs a size mismatch and the run goes on with random
    weights. Here it stops, naming the checkpoint and the model."""
    path = str(tmp_path / 'other.pth')
    torch.save({'state_dict': _Tiny(4).state_dict()}, path)
    runner = Runner(model=_Tiny(3), work_dir=str(tmp_path / 'work'))
    before = runner.model.fc.weight.clone()
    with pytest.raises(CheckpointMismatchError,
                       match=f'Checkpoint {path} does not fit _Tiny: 1 of '
                       r'another shape: fc.weight: checkpoint \(2, 4\), '
                       r'model \(2, 3\)'):
        runner.load_checkpoint(path)
    assert torch.equal(runner.model.fc.weight, before)
    # A checkpoint of the model itself loads.
    torch.save({'state_dict': _Tiny(3).state_dict()}, path)
    runner.load_checkpoint(path)
    assert not torch.equal(runner.model.fc.weight, before)
