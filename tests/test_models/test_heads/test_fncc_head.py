"""FNCCHead: the loss it builds and the diagnostics it keeps."""
import pytest
import torch
from mmengine.registry import DefaultScope
from mmselfsup.registry import MODELS

from false_plugin.models.losses import (DebiasedContrastiveLoss, FNCCLoss,
                                        FNCLoss)


def _build(**cfg):
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        return MODELS.build(dict(type='FNCCHead', **cfg))


def test_keywords_build_fncc_loss_as_before():
    head = _build(temperature=0.2, confidence_weight=0.5,
                  selection='per_anchor')
    assert type(head.fncc) is FNCCLoss
    assert (head.fncc.temperature, head.fncc.confidence_weight,
            head.fncc.selection) == (0.2, 0.5, 'per_anchor')


@pytest.mark.parametrize('loss,cls', [
    (dict(type='FNCLoss', mode='attract', similarity_threshold=0.1), FNCLoss),
    (dict(type='DebiasedContrastiveLoss', class_prior=0.2),
     DebiasedContrastiveLoss),
    (dict(positive_threshold=-1.0), FNCCLoss),
])
def test_loss_config_builds_that_loss(loss, cls):
    head = _build(temperature=0.3, loss=loss)
    assert type(head.fncc) is cls
    assert head.fncc.temperature == 0.3  # the head's, unless given
    gen = torch.Generator().manual_seed(0)
    pos = torch.rand(4, 1, generator=gen)
    neg = torch.rand(4, 6, generator=gen)
    losses = [head(pos, neg), head(pos * 0.5, neg)]
    assert all(torch.isfinite(v) for v in losses)
    stats = head.pop_stats()
    assert len(stats) == 2 and stats[1] is head.fncc.last_stats
    assert stats[0] is not stats[1]
    assert head.pop_stats() == []
    if cls is not DebiasedContrastiveLoss:
        assert stats[0]['pairs'].numel() > 0
        assert stats[0]['pairs'][:, 1].max() < neg.size(1)


def test_loss_and_keywords_together_are_refused():
    with pytest.raises(ValueError, match='not both'):
        _build(loss=dict(type='FNCLoss'), confidence_weight=0.5)
