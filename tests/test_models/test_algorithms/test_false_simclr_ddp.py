"""FALSESimCLR on a batch split over 2 gloo processes == one process."""
import copy
import os

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from _support import free_port
from mmengine.registry import DefaultScope
from mmselfsup.registry import MODELS
from mmselfsup.structures import SelfSupDataSample

import false_plugin  # noqa: F401

CFG = dict(
    type='FALSESimCLR',
    backbone=dict(type='ResNet', depth=18, in_channels=3, out_indices=[4],
                  norm_cfg=dict(type='BN')),
    neck=dict(type='NonLinearNeck', in_channels=512, hid_channels=32,
              out_channels=16, num_layers=2, with_avg_pool=True,
              norm_cfg=dict(type='BN1d')),
    head=dict(type='ContrastiveHead', loss=dict(type='mmcls.CrossEntropyLoss'),
              temperature=0.5),
    fncc=dict(confidence_weight=1.0, positive_threshold=0.0))
SELECTIONS = {
    'official': dict(selection='official'),
    'per_anchor': dict(selection='per_anchor', num_candidates=2),
}
LABELS = [0, 1, 0, 2, 1, 1, 3, 0]


def _model_and_batch(selection):
    cfg = copy.deepcopy(CFG)
    cfg['fncc'].update(SELECTIONS[selection])
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        model = MODELS.build(cfg)
    # Batch-norm statistics are per process in training mode; eval mode
    # makes the embeddings independent of how the batch is split, so any
    # difference left would come from the loss and its gathering.
    model.eval()
    gen = torch.Generator().manual_seed(1)
    views = [torch.randn(8, 3, 32, 32, generator=gen) for _ in range(2)]
    samples = []
    for label in LABELS:
        sample = SelfSupDataSample()
        sample.set_metainfo(dict(dominant_label=label))
        samples.append(sample)
    return model, views, samples


def _run(model, views, samples):
    """Loss, calibrated pairs and FNS record as plain Python values.

    Tensors sent through a multiprocessing queue are shared by file
    descriptor and cannot be read once their process has exited.
    """
    out = model.loss(views, samples)
    pairs = {tuple(p) for p in model.fncc.last_stats['pairs'].tolist()}
    return out['loss'].item(), pairs, dict(model.fns_record)


def _worker(rank, world_size, port, selection, queue):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world_size)
    model, views, samples = _model_and_batch(selection)
    part = slice(rank * 4, rank * 4 + 4)
    loss, pairs, record = _run(model, [v[part] for v in views],
                               samples[part])
    queue.put((rank, loss, pairs, record))
    dist.barrier()
    dist.destroy_process_group()


@pytest.mark.parametrize('selection', sorted(SELECTIONS))
def test_two_processes_equal_one_process(selection):
    loss, pairs, record = _run(*_model_and_batch(selection))
    assert pairs

    ctx = mp.get_context('spawn')
    queue = ctx.Queue()
    port = free_port()
    procs = [
        ctx.Process(target=_worker, args=(rank, 2, port, selection, queue))
        for rank in range(2)
    ]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    for _, dist_loss, dist_pairs, dist_record in results:
        assert dist_loss == pytest.approx(loss, rel=1e-5, abs=1e-5)
        assert dist_pairs == pairs
        assert dist_record == record
