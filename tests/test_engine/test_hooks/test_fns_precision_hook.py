"""FNSPrecisionHook in real training runs with per-patch labels: exact
counts (and logged values) for known batches, and the same counts after a
resume."""
import uuid

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from false_plugin.benchmark.report import read_fns_curves
from false_plugin.compat import safe_torch_load
from false_plugin.engine.hooks import FNSPrecisionHook

#: 8 patches, dominant labels 0, 1, 0, 1, ...; batches of 4 in order.
NUM_IMAGES, BATCH = 8, 4


class PairRecorder(Hook):
    """Keeps each iteration's dominant labels and the pairs FNCC picked."""

    def __init__(self) -> None:
        self.batches = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        labels = [int(s.dominant_label) for s in data_batch['data_samples']]
        pairs = runner.model.head.loss.last_stats['pairs'].clone()
        self.batches.append((labels, pairs))


def expected_counts(batches) -> dict:
    """The hook's counts, computed from the batches: a picked pair (rows of
    the 2N views) is the two images ``row % N``; chance is the share of
    ordered pairs of distinct images of a batch with the same label."""
    num_same = num_known = 0
    chances = []
    for labels, pairs in batches:
        labels = np.asarray(labels)
        images = pairs.numpy() % len(labels)
        num_same += int((labels[images[:, 0]] == labels[images[:, 1]]).sum())
        num_known += len(images)
        same = labels[:, None] == labels[None, :]
        chances.append((same.sum() - len(labels)) /
                       (len(labels) * (len(labels) - 1)))
    return dict(num_same=num_same, num_known=num_known,
                chance_sum=float(np.sum(chances)),
                chance_batches=len(chances))


@pytest.fixture
def labelled_patches(tmp_path):
    rng = np.random.default_rng(0)
    for kind in ('img_dir', 'ann_dir'):
        (tmp_path / kind).mkdir()
    for i in range(NUM_IMAGES):
        cv2.imwrite(str(tmp_path / 'img_dir' / f'{i}.png'),
                    rng.integers(0, 255, (40, 40, 3), np.uint8))
        cv2.imwrite(str(tmp_path / 'ann_dir' / f'{i}.png'),
                    np.full((40, 40), i % 2, np.uint8))
    return tmp_path


def _runner(root, repo_root, name, max_epochs, **cfg_keys) -> Runner:
    """The tiny FALSE-SimCLR on the labelled patches, without randomness in
    the data (two fixed views, batches in order), so that runs repeat."""
    cfg = Config.fromfile(f'{repo_root}/tests/configs/'
                          'false-simclr_resnet18_tiny.py')
    cfg.work_dir = str(root / name)
    cfg.experiment_name = name
    # Visualizers are process-wide instances by name: an earlier test's
    # 'visualizer' would keep writing this run's scalars into its own dir.
    cfg.visualizer.name = f'{name}_{uuid.uuid4().hex}'
    cfg.train_cfg.max_epochs = max_epochs
    cfg.train_dataloader.sampler = dict(type='DefaultSampler', shuffle=False)
    cfg.train_dataloader.batch_size = BATCH
    cfg.train_dataloader.dataset = dict(
        type='RSPatchDataset',
        data_root=str(root),
        data_prefix=dict(img_path='img_dir', seg_map_path='ann_dir'),
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='MultiView', num_views=[1, 1],
                 transforms=[[dict(type='CenterCrop', crop_size=32)],
                             [dict(type='Resize', scale=(32, 32))]]),
            dict(type='PackSelfSupInputs',
                 meta_keys=['img_path', 'dominant_label'])
        ])
    cfg.merge_from_dict(cfg_keys)
    return Runner.from_cfg(cfg)


def _hook(runner) -> FNSPrecisionHook:
    return next(h for h in runner.hooks if isinstance(h, FNSPrecisionHook))


def test_fns_precision_counts_exactly(labelled_patches, repo_root):
    runner = _runner(labelled_patches, repo_root, 'exact', max_epochs=2)
    recorder = PairRecorder()
    runner.register_hook(recorder)
    runner.train()
    hook = _hook(runner)
    expected = expected_counts(recorder.batches)
    assert len(recorder.batches) == runner.iter == 4
    # The gate is open: every iteration calibrates at least one pair.
    assert expected['num_known'] >= runner.iter
    assert hook.state_dict() == pytest.approx(expected, rel=1e-12)
    summary = hook.summary()
    assert summary['precision'] == (expected['num_same'] /
                                    expected['num_known'])
    # Every batch is labels 0, 1, 0, 1: 4 of the 12 ordered pairs of
    # distinct images share a label.
    assert summary['chance'] == pytest.approx(1 / 3, rel=1e-12)
    assert summary['pairs'] == expected['num_known']
    hub = runner.message_hub
    assert hub.get_scalar('train/fns_precision').current() == summary[
        'precision']
    assert hub.get_scalar('train/fns_chance').current() == summary['chance']
    assert hub.get_scalar('train/fns_pairs').current() == summary['pairs']
    # The log: at each iteration, the running totals up to that iteration.
    curves = read_fns_curves(str(labelled_patches / 'exact'))
    assert list(curves['fns_precision']) == [1, 2, 3, 4]
    for step, precision in curves['fns_precision'].items():
        counts = expected_counts(recorder.batches[:step])
        assert precision == pytest.approx(
            counts['num_same'] / counts['num_known'], rel=1e-12)
        assert curves['fns_chance'][step] == pytest.approx(1 / 3, rel=1e-12)


def test_fns_counts_survive_resume(labelled_patches, repo_root):
    whole = _runner(labelled_patches, repo_root, 'whole', max_epochs=2)
    whole.train()

    first = _runner(labelled_patches, repo_root, 'resumed', max_epochs=1)
    first.train()
    after_first = _hook(first).state_dict()
    checkpoint = safe_torch_load(
        str(labelled_patches / 'resumed' / 'epoch_1.pth'))
    assert checkpoint['meta']['fns_precision'] == after_first
    # The second epoch in a new runner, resumed from the first's checkpoint.
    second = _runner(labelled_patches, repo_root, 'resumed', max_epochs=2,
                     resume=True)
    second.train()
    assert second.iter == whole.iter == 4
    assert _hook(second).state_dict() == _hook(whole).state_dict()
    for key in ('fns_precision', 'fns_chance', 'fns_pairs'):
        assert second.message_hub.get_scalar(f'train/{key}').current() == (
            whole.message_hub.get_scalar(f'train/{key}').current())

    # Loading the weights only (no resume) starts the counts afresh.
    loaded = _runner(labelled_patches, repo_root, 'loaded', max_epochs=1,
                     load_from=str(labelled_patches / 'resumed' /
                                   'epoch_1.pth'))
    loaded.train()
    assert _hook(loaded).chance_batches == NUM_IMAGES // BATCH
