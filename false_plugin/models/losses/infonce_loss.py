"""InfoNCE: the contrastive loss of the baselines, nothing picked."""
from typing import Optional

from mmselfsup.registry import MODELS
from torch import Tensor

from .contrastive_base import ContrastiveLoss, Layout, Terms


@MODELS.register_module()
class InfoNCELoss(ContrastiveLoss):
    r"""InfoNCE (NT-Xent), the loss of SimCLR, MoCo v2 and DenseCL.

    With cosines :math:`s_{ij}`, :math:`S_{ij} = \exp(s_{ij}/\tau)`,
    positive :math:`p(i)` and negatives :math:`Neg(i)`:

    .. math::

        \ell_i = -\log \frac{S_{ip(i)}}{S_{ip(i)} + \sum_{k \in Neg(i)} S_{ik}}

    and the loss is the mean of :math:`\ell_i`: what mmselfsup's
    ``ContrastiveHead`` computes with a cross-entropy, here in the machinery
    of the false-negative losses (both layouts, float32 outside autocast,
    the same diagnostics), so a head without false-negative keys is the
    baseline. It is :class:`FNCCLoss` with ``confidence_weight=0``, value
    for value.

    Args:
        temperature (float): :math:`\tau`. Defaults to 0.5.
        loss_weight (float): Multiplier of the loss. Defaults to 1.
    """

    def _simclr_candidates(self, excluded: Tensor) -> Optional[Tensor]:
        return None  # nothing is picked

    def _terms(self, logits: Tensor, layout: Layout) -> Terms:
        """InfoNCE of each row; ``last_stats`` gets ``num_picked`` (0) and
        ``pairs`` (empty)."""
        soft = self._softmax(logits, layout.targets)
        stats = dict(num_picked=logits.new_zeros(()),
                     pairs=layout.targets.new_zeros(0, 2))
        return Terms(soft.infonce[:, 0], soft.probs, stats=stats)
