"""The three FALSE algorithms on a tiny ResNet-18 batch."""
import copy
import warnings

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


#: The ``fn_loss`` keys of each loss, the gate / threshold open so every
#: algorithm picks; without ``type`` they build ``FNCCLoss``.
LOSSES = {
    'FNCCLoss': FNCC,
    'FNCLoss': dict(type='FNCLoss', mode='attract', num_candidates=1,
                    similarity_threshold=-1.0),
    'DebiasedContrastiveLoss': dict(type='DebiasedContrastiveLoss',
                                    class_prior=0.1),
}


@pytest.mark.parametrize('loss', sorted(LOSSES))
@pytest.mark.parametrize('name', sorted(MODELS_CFG))
def test_loss_and_diagnostics(name, loss):
    cfg = copy.deepcopy(MODELS_CFG[name])
    cfg['fn_loss'] = copy.deepcopy(LOSSES[loss])
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        model = MODELS.build(cfg)
    model.to('cpu')  # as the Runner moves it to its device
    assert type(model.head).__name__ == 'FNContrastiveHead'
    loss_fn = model.head.loss
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

    prefixes = (['fn_single', 'fn_dense']
                if name == 'FALSEDenseCL' else ['fn'])
    keys = {
        'FNCCLoss': {'num_picked', 'gate_pass_rate', 'mean_gap'},
        'FNCLoss': {'num_picked', 'mean_gap', 'mean_score'},
        'DebiasedContrastiveLoss': {'num_picked', 'bound_rate'},
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
        picked = losses[f'{prefix}_num_picked']
        if loss == 'FNCCLoss':
            # The gate is open (T = -1): the official mode picks at least
            # one.
            assert picked >= 1
            assert losses[f'{prefix}_gate_pass_rate'] == 1
        elif loss == 'FNCLoss':  # threshold -1: one pick per row
            assert picked == rows
        else:  # DCL picks nothing
            assert picked == 0
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
    cfg['fn_loss'] = dict(confidence_weight=0.0)
    baseline_cfg = {k: v for k, v in cfg.items() if k != 'fn_loss'}
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


@pytest.mark.parametrize('name', sorted(MODELS_CFG))
def test_loss_keys_default_to_fncc_at_the_head_temperature(name):
    """Without ``fn_loss`` the loss is FNCC; the temperature is the
    upstream head's, else upstream ContrastiveHead's default (0.1)."""
    cfg = copy.deepcopy(MODELS_CFG[name])
    del cfg['fn_loss']
    del cfg['head']['temperature']
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        model = MODELS.build(cfg)
    assert type(model.head.loss).__name__ == 'FNCCLoss'
    assert model.head.loss.temperature == model.head.temperature == 0.1


@pytest.mark.parametrize('name', sorted(MODELS_CFG))
def test_deprecated_fncc_key_warns_once_and_overrides(name, monkeypatch):
    import false_plugin.deprecation as deprecation
    monkeypatch.setattr(deprecation, '_warned', set())
    cfg = copy.deepcopy(MODELS_CFG[name])
    # An old child config (or --cfg-options model.fncc.<key>=...) over a
    # new parent: its keys win, the others stay.
    cfg['fn_loss'] = dict(confidence_weight=1.0, positive_threshold=0.5,
                          selection='per_anchor')
    cfg['fncc'] = dict(confidence_weight=0.25)
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        with pytest.warns(FutureWarning,
                          match="'model.fncc'.*'model.fn_loss'"):
            model = MODELS.build(cfg)
        loss_fn = model.head.loss
        assert (loss_fn.confidence_weight, loss_fn.positive_threshold,
                loss_fn.selection) == (0.25, 0.5, 'per_anchor')
        with warnings.catch_warnings():
            warnings.simplefilter('error')  # once per process
            MODELS.build(cfg)


@pytest.mark.parametrize('name', sorted(MODELS_CFG))
def test_temperature_in_loss_keys_is_refused(name):
    cfg = copy.deepcopy(MODELS_CFG[name])
    cfg['fn_loss'] = dict(type='FNCLoss', temperature=0.5)
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        with pytest.raises(ValueError, match='model.head.temperature'):
            MODELS.build(cfg)


def test_queue_family_with_infonce_is_upstream_moco():
    """FALSEMoCo with ``InfoNCELoss`` computes upstream MoCo's loss on the
    same weights and queue: the shared queue ``loss()`` adds only logs."""
    cfg = copy.deepcopy(MODELS_CFG['FALSEMoCo'])
    cfg['fn_loss'] = dict(type='InfoNCELoss')
    baseline_cfg = {k: v for k, v in cfg.items() if k != 'fn_loss'}
    baseline_cfg['type'] = 'MoCo'
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        false_model = MODELS.build(cfg)
        baseline = MODELS.build(baseline_cfg)
    state = false_model.state_dict()
    del state['queue_labels']
    baseline.load_state_dict(state)
    inputs, samples = _batch()
    losses = []
    for model in (false_model, baseline):
        torch.manual_seed(1)  # the key batch shuffle
        losses.append(model.loss(inputs, samples))
    assert losses[0]['fn_num_picked'] == 0
    torch.testing.assert_close(losses[0]['loss'], losses[1]['loss'])
