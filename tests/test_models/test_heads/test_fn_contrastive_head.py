"""FNContrastiveHead: the loss it builds, both layouts, the diagnostics it
keeps; the deprecated FNCCHead."""
import warnings

import pytest
import torch
from mmengine.registry import DefaultScope
from mmselfsup.registry import MODELS

import false_plugin.deprecation as deprecation
from false_plugin.models.heads import FNContrastiveHead
from false_plugin.models.losses import (DebiasedContrastiveLoss, FNCCLoss,
                                        FNCLoss, InfoNCELoss)


def _build(type='FNContrastiveHead', **cfg):
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        return MODELS.build(dict(type=type, **cfg))


def _similarities(seed=0, rows=4, cols=6):
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(rows, 1, generator=gen) * 2 - 1,
            torch.rand(rows, cols, generator=gen) * 2 - 1)


def test_without_loss_keys_it_is_upstream_contrastive_head():
    """No loss config: InfoNCE at upstream's default temperature, the value
    of mmselfsup's ContrastiveHead (a cross-entropy) and its gradient."""
    head = _build()
    assert type(head.loss) is InfoNCELoss
    assert head.temperature == head.loss.temperature == 0.1
    upstream = _build(type='ContrastiveHead',
                      loss=dict(type='mmcls.CrossEntropyLoss'))
    pos, neg = _similarities()
    grads = []
    for module in (head, upstream):
        p, n = pos.clone().requires_grad_(), neg.clone().requires_grad_()
        value = module(p, n)
        value.backward()
        grads.append((value.detach(), p.grad, n.grad))
    for ours, theirs in zip(*grads):
        torch.testing.assert_close(ours, theirs)
    stats, = head.pop_stats()
    assert stats['num_picked'] == 0 and stats['pairs'].shape == (0, 2)


@pytest.mark.parametrize('layout', ['simclr', 'queue'])
def test_infonce_is_fncc_without_calibration_bitwise(layout):
    """InfoNCELoss is FNCCLoss with alpha = 0, value and gradient, bit for
    bit, in both layouts."""
    heads = [_build(loss=dict(type='InfoNCELoss'), temperature=0.2),
             _build(loss=dict(type='FNCCLoss', confidence_weight=0.0),
                    temperature=0.2)]
    gen = torch.Generator().manual_seed(3)
    z = torch.randn(8, 5, generator=gen)
    pos, neg = _similarities(seed=4)
    results = []
    for head in heads:
        inputs = [t.clone().requires_grad_()
                  for t in ((z, ) if layout == 'simclr' else (pos, neg))]
        value = (head.forward_simclr(*inputs) if layout == 'simclr' else
                 head(*inputs))
        value.backward()
        results.append([value.detach()] + [t.grad for t in inputs])
    for ours, theirs in zip(*results):
        assert torch.equal(ours, theirs)


@pytest.mark.parametrize('loss,cls', [
    (dict(type='FNCLoss', mode='attract', similarity_threshold=0.1), FNCLoss),
    (dict(type='DebiasedContrastiveLoss', class_prior=0.2),
     DebiasedContrastiveLoss),
    (dict(type='FNCCLoss', positive_threshold=-1.0), FNCCLoss),
])
def test_loss_config_builds_that_loss(loss, cls):
    head = _build(temperature=0.3, loss=loss)
    assert type(head.loss) is cls
    assert head.loss.temperature == 0.3
    pos, neg = _similarities()
    losses = [head(pos, neg), head(pos * 0.5, neg)]
    gen = torch.Generator().manual_seed(2)
    losses.append(head.forward_simclr(torch.randn(8, 5, generator=gen)))
    assert all(torch.isfinite(v) for v in losses)
    stats = head.pop_stats()
    assert len(stats) == 3 and stats[2] is head.loss.last_stats
    assert stats[0] is not stats[1]
    assert head.pop_stats() == []
    if cls is not DebiasedContrastiveLoss:
        assert stats[0]['pairs'].numel() > 0
        assert stats[0]['pairs'][:, 1].max() < neg.size(1)
        assert stats[2]['pairs'].max() < 8


def test_temperature_from_loss_or_head_but_not_two():
    assert _build(loss=dict(type='FNCLoss', temperature=0.4)).temperature \
        == 0.4
    assert _build(loss=dict(type='FNCLoss', temperature=0.4),
                  temperature=0.4).loss.temperature == 0.4
    with pytest.raises(ValueError, match=r'head temperature \(0.2\).*0.4'):
        _build(loss=dict(type='FNCLoss', temperature=0.4), temperature=0.2)


def test_loss_without_type_is_refused():
    with pytest.raises(ValueError, match='needs a type'):
        _build(loss=dict(confidence_weight=0.5))


def test_deprecated_fncc_head_warns_once_and_keeps_its_arguments(
        monkeypatch):
    monkeypatch.setattr(deprecation, '_warned', set())
    with pytest.warns(FutureWarning, match="'FNCCHead'.*'FNContrastiveHead'"):
        head = _build(type='FNCCHead', temperature=0.2,
                      confidence_weight=0.5, selection='per_anchor')
    assert isinstance(head, FNContrastiveHead)
    assert type(head.loss) is FNCCLoss
    assert (head.loss.temperature, head.loss.confidence_weight,
            head.loss.selection) == (0.2, 0.5, 'per_anchor')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        # A loss without type is an FNCCLoss; its temperature wins.
        head = _build(type='FNCCHead', temperature=0.2,
                      loss=dict(temperature=0.3))
    assert type(head.loss) is FNCCLoss and head.loss.temperature == 0.3
    with pytest.raises(ValueError, match='not both'):
        _build(type='FNCCHead', loss=dict(type='FNCLoss'),
               confidence_weight=0.5)
