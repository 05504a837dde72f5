"""FALSESimCLR on a batch split over 2 gloo processes == one process, for
each of its losses (FNCC both selections, FNC both modes, DCL)."""
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
              temperature=0.5))
#: The ``fn_loss`` keys of each case. The embeddings of this batch have
#: cosines of 0.75-0.98: the FNC thresholds leave rows with 0, 1 and 2
#: picks.
LOSSES = {
    'official':
    dict(confidence_weight=1.0, positive_threshold=0.0, selection='official'),
    'per_anchor':
    dict(confidence_weight=1.0, positive_threshold=0.0,
         selection='per_anchor', num_candidates=2),
    'fnc_eliminate':
    dict(type='FNCLoss', mode='eliminate', num_candidates=2,
         similarity_threshold=0.93),
    'fnc_attract':
    dict(type='FNCLoss', mode='attract', num_candidates=1,
         similarity_threshold=0.9),
    'dcl':
    dict(type='DebiasedContrastiveLoss', class_prior=0.1),
}
LABELS = [0, 1, 0, 2, 1, 1, 3, 0]


def _model_and_batch(case):
    cfg = copy.deepcopy(CFG)
    cfg['fn_loss'] = copy.deepcopy(LOSSES[case])
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
    """Loss, picked pairs and FNS record as plain Python values.

    Tensors sent through a multiprocessing queue are shared by file
    descriptor and cannot be read once their process has exited.
    """
    out = model.loss(views, samples)
    pairs = {
        tuple(p) for p in model.head.loss.last_stats['pairs'].tolist()
    }
    return out['loss'].item(), pairs, dict(model.fns_record)


def _worker(rank, world_size, port, queue):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world_size)
    part = slice(rank * 4, rank * 4 + 4)
    results = {}
    for case in LOSSES:
        model, views, samples = _model_and_batch(case)
        results[case] = _run(model, [v[part] for v in views], samples[part])
    queue.put((rank, results))
    dist.barrier()
    dist.destroy_process_group()


@pytest.fixture(scope='module')
def two_process_results():
    """Every case on 2 gloo processes, one spawn for all of them."""
    ctx = mp.get_context('spawn')
    queue = ctx.Queue()
    port = free_port()
    procs = [
        ctx.Process(target=_worker, args=(rank, 2, port, queue))
        for rank in range(2)
    ]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=180) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    return [res for _, res in sorted(results, key=lambda item: item[0])]


@pytest.mark.parametrize('case', sorted(LOSSES))
def test_two_processes_equal_one_process(case, two_process_results):
    loss, pairs, record = _run(*_model_and_batch(case))
    if case == 'dcl':
        assert pairs == set() and record['num_known'] == 0
    else:
        assert pairs
    if case.startswith('fnc'):
        rows = [i for i, _ in pairs]
        counts = {rows.count(i) for i in range(16)}
        # Rows without picks beside rows with picks (two where allowed).
        assert 0 in counts and max(counts) == LOSSES[case]['num_candidates']
    for results in two_process_results:
        dist_loss, dist_pairs, dist_record = results[case]
        assert dist_loss == pytest.approx(loss, rel=1e-5, abs=1e-5)
        assert dist_pairs == pairs
        assert dist_record == record
