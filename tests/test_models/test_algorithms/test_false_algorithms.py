"""The three FALSE algorithms on a tiny ResNet-18 batch."""
import copy

import pytest
import torch
from _support import FNCC, HEAD, MODELS_CFG
from mmengine.registry import DefaultScope
from mmselfsup.registry import MODELS
from mmselfsup.structures import SelfSupDataSample

def _batch(num=4, labels=(0, 1, 0, 2)):
    gen = torch.Generator().manual_seed(0)
    inputs = [torch.randn(num, 3, 32, 32, generator=gen) for _ in range(2)]
    samples = []
    for label in labels[:num]:
        sample = SelfSupDataSample()
        sample.set_metainfo(dict(dominant_label=label))
        samples.append(sample)
    return inputs, samples


#: The ``fncc`` keys of each loss, the gate / threshold open so every
#: algorithm picks; without ``type`` they build ``FNCCLoss``.
LOSSES = {
    'FNCCLoss': FNCC,
    'FNCLoss': dict(type='FNCLoss', mode='attract', num_candidates=1,
                    similarity_threshold=-1.0),
    'DebiasedContrastiveLoss': dict(type='DebiasedContrastiveLoss',
                                    class_prior=0.1),
}


def _loss_module(model):
    return model.fncc if hasattr(model, 'fncc') else model.head.fncc


@pytest.mark.parametrize('loss', sorted(LOSSES))
@pytest.mark.parametrize('name', sorted(MODELS_CFG))
def test_loss_and_diagnostics(name, loss):
    cfg = copy.deepcopy(MODELS_CFG[name])
    cfg['fncc'] = copy.deepcopy(LOSSES[loss])
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        model = MODELS.build(cfg)
    model.to('cpu')  # as the Runner moves it to its device
    loss_fn = _loss_module(model)
    assert type(loss_fn).__name__ == loss
    assert loss_fn.temperature == HEAD['temperature']  # the head's default
    inputs, samples = _batch()
    # Step 1 fills the label queue of MoCo / DenseCL (its keys' labels are
    # unknown until then); step 2 is the one checked.
    model.loss(inputs, samples)
    losses = model.loss(inputs, samples)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()
    assert model.backbone.conv1.weight.grad.abs().sum() > 0

    prefixes = (['fnsd_single', 'fnsd_dense']
                if name == 'FALSEDenseCL' else ['fnsd'])
    keys = {
        'FNCCLoss': {'num_calibrated', 'gate_pass_rate', 'mean_gap'},
        'FNCLoss': {'num_calibrated', 'mean_gap', 'mean_score'},
        'DebiasedContrastiveLoss': {'num_calibrated', 'bound_rate'},
    }[loss]
    # Rows of the loss: 2N in SimCLR, N queries (and N dense locations of
    # a 1 x 1 feature map) in MoCo / DenseCL.
    rows = 8 if name == 'FALSESimCLR' else 4
    for prefix in prefixes:
        logged = {k[len(prefix) + 1:] for k in losses
                  if k.startswith(prefix + '_')}
        assert logged == keys
        for key in keys:
            value = losses[f'{prefix}_{key}']
            assert value.dtype == torch.float32 and value.dim() == 0
        calibrated = losses[f'{prefix}_num_calibrated']
        if loss == 'FNCCLoss':
            # The gate is open (T = -1): the official mode picks at least
            # one.
            assert calibrated >= 1
            assert losses[f'{prefix}_gate_pass_rate'] == 1
        elif loss == 'FNCLoss':  # threshold -1: one pick per row
            assert calibrated == rows
        else:  # DCL picks nothing
            assert calibrated == 0
    record = model.fns_record
    assert 0 <= record['num_same'] <= record['num_known']
    if loss == 'DebiasedContrastiveLoss':
        assert record['num_known'] == 0
    else:
        # All batch labels are known and, at step 2, the queue holds the
        # labelled keys of step 1: the picked pairs are counted.
        assert record['num_known'] >= 1
    assert 0 < record['chance'] < 1


def test_baseline_and_false_differ_only_in_the_loss():
    """alpha = 0 gives upstream SimCLR's loss on the same weights."""
    cfg = copy.deepcopy(MODELS_CFG['FALSESimCLR'])
    cfg['fncc'] = dict(confidence_weight=0.0)
    baseline_cfg = {k: v for k, v in cfg.items() if k != 'fncc'}
    baseline_cfg['type'] = 'SimCLR'
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        torch.manual_seed(0)
        false_model = MODELS.build(cfg)
        baseline = MODELS.build(baseline_cfg)
    baseline.load_state_dict(false_model.state_dict())
    false_model.eval()
    baseline.eval()
    inputs, samples = _batch()
    torch.testing.assert_close(
        false_model.loss(inputs, samples)['loss'],
        baseline.loss(inputs, samples)['loss'])


def test_moco_label_queue_follows_key_queue():
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        model = MODELS.build(copy.deepcopy(MODELS_CFG['FALSEMoCo']))
    inputs, samples = _batch()
    model.loss(inputs, samples)
    assert model.queue_labels[:4].tolist() == [0, 1, 0, 2]
    assert int(model.queue_ptr) == 4
    assert (model.queue_labels[4:] == -1).all()
