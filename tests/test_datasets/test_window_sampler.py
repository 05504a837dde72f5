"""RSTileSamplingDataset + RSWindowSampler: fresh windows every epoch,
the same windows after a resume, distinct windows on every rank."""
import os
import os.path as osp

import pytest
import torch.distributed as dist
import torch.multiprocessing as mp
from _support import REPO_ROOT, free_port
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmselfsup.registry import DATA_SAMPLERS, DATASETS, HOOKS

import false_plugin  # noqa: F401  (registers the parts in spawned workers)
from false_plugin.datasets.rs_pretrain import EpochSampleIndex

PIPELINE = [
    dict(type='LoadRSImageFromFile', nodata_value=0),
    dict(type='MultiView', num_views=2,
         transforms=[[dict(type='RandomResizedCrop', size=8,
                           backend='cv2')]]),
    dict(type='PackSelfSupInputs', meta_keys=['img_path', 'window'])
]


def _dataset(img, **kwargs):
    cfg = dict(type='RSTileSamplingDataset', img_files=[img], patch_size=12,
               num_samples=8, min_valid_fraction=1.0, pipeline=PIPELINE)
    cfg.update(kwargs)
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        return DATASETS.build(cfg)


def _sampler(dataset, **kwargs):
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        return DATA_SAMPLERS.build(
            dict(type='RSWindowSampler', **kwargs),
            default_args=dict(dataset=dataset))


def _epoch_windows(dataset, sampler, epoch):
    sampler.set_epoch(epoch)
    return [dataset.get_data_info(i)['window'] for i in sampler]


def test_fresh_windows_every_epoch(scene):
    img, _ = scene
    dataset = _dataset(img)
    sampler = _sampler(dataset, shuffle=False)
    epochs = [_epoch_windows(dataset, sampler, e) for e in range(3)]
    assert len({tuple(w) for w in epochs}) == 3
    # Epoch 0 is what dataset[i] gives; every epoch is reproducible and
    # keeps clear of the nodata strip (columns 0-7).
    assert epochs[0] == [dataset.get_data_info(i)['window'] for i in range(8)]
    assert epochs[2] == _epoch_windows(_dataset(img), sampler, 2)
    assert all(col >= 8 for e in epochs for col, *_ in e)
    regional = _dataset(img, region=(20, 0, 16, 40))
    sampler.dataset = regional
    for col, _, width, _ in _epoch_windows(regional, sampler, 5):
        assert 20 <= col and col + width <= 36


@pytest.mark.parametrize('windows_per_site', [1, 2])
def test_dataloader_workers_see_the_epoch(scene, windows_per_site):
    """Two workers, each with its own copy of the dataset and its own open
    files, read the windows and pixels that no worker reads, epoch by
    epoch (also with sites, each read by one worker); the sampler writes
    nothing onto the dataset."""
    from mmengine.dataset import pseudo_collate
    from torch.utils.data import DataLoader

    from false_plugin.datasets.raster_io import read_raster
    img, _ = scene
    dataset = _dataset(img, pipeline=PIPELINE[:1] + PIPELINE[2:],
                       windows_per_site=windows_per_site)
    read_raster(img, window=(8, 0, 4, 4))  # a file open before the fork
    sampler = _sampler(dataset, shuffle=True, sites_per_round=8)
    assert not hasattr(dataset, 'epoch_indices')

    def batches(workers):
        return DataLoader(dataset, batch_size=4, sampler=sampler,
                          num_workers=workers,
                          persistent_workers=workers > 0,
                          collate_fn=pseudo_collate)

    loaders = {workers: batches(workers) for workers in (0, 2)}
    for epoch in (0, 3):
        sampler.set_epoch(epoch)
        seen = {}
        for workers, loader in loaders.items():
            seen[workers] = [(tuple(s.window), x.numpy().tobytes())
                             for batch in loader
                             for s, x in zip(batch['data_samples'],
                                             batch['inputs'][0])]
        assert seen[2] == seen[0]
        assert [w for w, _ in seen[2]] == _epoch_windows(
            dataset, sampler, epoch)


def test_sampler_needs_a_window_dataset(tiny_png_folder):
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        dataset = DATASETS.build(dict(
            type='RSPatchDataset', data_prefix=dict(
                img_path=osp.join(tiny_png_folder, 'a')), pipeline=[]))
    with pytest.raises(TypeError, match='RSTileSamplingDataset'):
        _sampler(dataset)


@HOOKS.register_module(force=True)
class _RecordWindows(Hook):
    """Records the windows each epoch trained on (test only)."""

    def __init__(self, out: str) -> None:
        self.out = out

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        with open(self.out, 'a') as f:
            for sample in data_batch['data_samples']:
                f.write(f'{runner.epoch} {tuple(sample.window)}\n')


def _windows_by_epoch(path):
    by_epoch = {}
    for line in open(path):
        epoch, window = line.split(' ', 1)
        by_epoch.setdefault(int(epoch), []).append(window.strip())
    return by_epoch


def test_resume_sees_the_uninterrupted_windows(tmp_path, scene):
    img, _ = scene
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'tests', 'configs',
                                   'simclr_resnet18_tiny.py'))
    cfg.model.backbone.in_channels = 5
    cfg.model.data_preprocessor = dict(
        type='MultiBandSelfSupDataPreprocessor', mean=[128] * 5,
        std=[64] * 5)
    cfg.train_dataloader.dataset = dict(
        type='RSTileSamplingDataset', img_files=[img], patch_size=12,
        num_samples=8, min_valid_fraction=1.0, pipeline=PIPELINE)
    cfg.train_dataloader.sampler = dict(type='RSWindowSampler', shuffle=True)
    cfg.train_cfg.max_epochs = 3
    cfg.param_scheduler = [dict(type='ConstantLR', factor=1.0,
                                by_epoch=True)]

    def run(work_dir, out, resume_from=None):
        run_cfg = cfg.copy()
        run_cfg.work_dir = str(work_dir)
        run_cfg.custom_hooks = [dict(type='_RecordWindows', out=str(out))]
        if resume_from:
            run_cfg.resume, run_cfg.load_from = True, resume_from
        Runner.from_cfg(run_cfg).train()

    run(tmp_path / 'full', tmp_path / 'full.txt')
    full = _windows_by_epoch(tmp_path / 'full.txt')
    assert sorted(full) == [0, 1, 2] and full[0] != full[1] != full[2]
    run(tmp_path / 'resumed', tmp_path / 'resumed.txt',
        str(tmp_path / 'full' / 'epoch_1.pth'))
    resumed = _windows_by_epoch(tmp_path / 'resumed.txt')
    assert sorted(resumed) == [1, 2]
    assert resumed[1] == full[1] and resumed[2] == full[2]


def _rank_worker(rank, port, img, queue, windows_per_site):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    dataset = _dataset(img, num_samples=16, windows_per_site=windows_per_site)
    sampler = _sampler(dataset, shuffle=True, seed=0, sites_per_round=2)
    sampler.set_epoch(1)
    indices = list(sampler)
    queue.put((rank, indices,
               [dataset.get_data_info(i)['window'] for i in indices]))
    dist.barrier()
    dist.destroy_process_group()


@pytest.mark.parametrize('windows_per_site', [1, 4])
def test_two_ranks_draw_distinct_windows(scene, windows_per_site):
    img, _ = scene
    ctx = mp.get_context('spawn')
    queue = ctx.Queue()
    port = free_port()
    procs = [ctx.Process(target=_rank_worker,
                         args=(r, port, img, queue, windows_per_site))
             for r in range(2)]
    for proc in procs:
        proc.start()
    results = dict((r, (i, w)) for r, i, w in
                   (queue.get(timeout=120) for _ in procs))
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    (idx0, win0), (idx1, win1) = results[0], results[1]
    assert len(idx0) == len(idx1) == 8
    # Epoch 1: indices 16..31, split between the ranks without overlap.
    assert sorted(idx0 + idx1) == list(range(16, 32))
    assert not set(win0) & set(win1)
    single = _dataset(img, num_samples=16, windows_per_site=windows_per_site)
    assert sorted(win0 + win1) == sorted(
        single.get_data_info(EpochSampleIndex(16 + i))['window']
        for i in range(16))
    # Whole sites on each rank.
    assert not {i // windows_per_site for i in idx0} & {
        i // windows_per_site for i in idx1}
