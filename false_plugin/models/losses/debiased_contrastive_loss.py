"""DCL: debiased contrastive loss (Chuang et al., NeurIPS 2020)."""
import math
from typing import Optional

import torch
from mmselfsup.registry import MODELS
from torch import Tensor

from .contrastive_base import ContrastiveLoss, Layout, Terms


@MODELS.register_module()
class DebiasedContrastiveLoss(ContrastiveLoss):
    r"""Debiased contrastive loss (DCL).

    Chuang et al., "Debiased Contrastive Learning", NeurIPS 2020, arXiv
    2007.00224 (not lightly's ``DCLLoss``, which is *decoupled* contrastive
    learning). Nothing is picked: the negative term is corrected for the
    expected share :math:`\tau^+` (``class_prior``) of same-class samples
    among the negatives. With cosines :math:`s_{ij}`,
    :math:`S_{ij} = \exp(s_{ij}/\tau)`, positive :math:`p(i)`, negatives
    :math:`Neg(i)` and :math:`n = |Neg(i)|`:

    .. math::

        N_i = \max\left(\frac{\sum_{k \in Neg(i)} S_{ik} - n \tau^+ S_{ip}}
                             {1 - \tau^+},\; n e^{-1/\tau}\right), \qquad
        \ell_i = -\log \frac{S_{ip}}{S_{ip} + N_i}

    and the loss is the mean of :math:`\ell_i`. :math:`\tau^+ = 0` is
    InfoNCE exactly (the same computation).

    In log space, from InfoNCE's :math:`x_i = -\log(S_{ip} / \sum_k S_{ik})`
    of the one softmax: :math:`\log(N_i / S_{ip}) = \max(x_i +
    \log(1 - (1 + n\tau^+) e^{-x_i}) - \log(1 - \tau^+),\; \log n - 1/\tau -
    s_{ip}/\tau)` and :math:`\ell_i = \log(1 + N_i / S_{ip})`; no raw
    :math:`S`, float32 (float64 for float64 input) outside autocast, no
    loop over rows. The gradient is written out: InfoNCE's
    ``softmax - one-hot`` times :math:`e^{x_i - \ell_i} / (1 - \tau^+)`
    where the first term is the larger, and only
    :math:`-\sigma(\log(N_i/S_{ip}))` at the positive where the bound holds.

    Args:
        temperature (float): :math:`\tau`. Defaults to 0.5.
        class_prior (float): :math:`\tau^+`, in [0, 1). Defaults to 0.1.
        loss_weight (float): Multiplier of the loss. Defaults to 1.
    """

    def __init__(self,
                 temperature: float = 0.5,
                 class_prior: float = 0.1,
                 loss_weight: float = 1.0) -> None:
        super().__init__(temperature=temperature, loss_weight=loss_weight)
        if not 0.0 <= class_prior < 1.0:
            raise ValueError('class_prior (tau+) must be in [0, 1), '
                             f'but got {class_prior}')
        self.class_prior = float(class_prior)

    def _simclr_candidates(self, excluded: Tensor) -> Optional[Tensor]:
        return None  # nothing is picked

    def _terms(self, logits: Tensor, layout: Layout) -> Terms:
        """The DCL loss of each row.

        ``last_stats`` gets ``num_picked`` (0: nothing is picked),
        ``bound_rate`` (share of rows where :math:`N_i` is the bound
        :math:`n e^{-1/\tau}`) and ``pairs`` (empty).
        """
        soft = self._softmax(logits, layout.targets)
        infonce = soft.infonce[:, 0]
        pairs = layout.targets.new_zeros(0, 2)
        zero = logits.new_zeros(())
        if self.class_prior == 0:
            return Terms(infonce, soft.probs,
                         stats=dict(num_picked=zero, bound_rate=zero,
                                    pairs=pairs))
        prior = self.class_prior
        num_neg = layout.num_negatives(logits)
        # sum_Neg S / S_ip - n tau+ = exp(x) - (1 + n tau+), in log space;
        # where it is not positive the bound is the larger.
        ratio = infonce.neg().exp_().mul_(num_neg.mul(prior).add_(1)).neg_()
        corrected = ratio.log1p().add_(infonce).sub_(math.log1p(-prior))
        corrected.masked_fill_(ratio <= -1, -math.inf)
        bound = num_neg.log().sub_(1 / self.temperature).sub_(
            soft.pos_logit[:, 0])
        bounded = bound > corrected
        log_ratio = torch.where(bounded, bound, corrected)  # log(N_i / S_ip)
        # softplus, exactly: log(1 + exp(v)) = max(v, 0) + log1p(exp(-|v|))
        loss = log_ratio.clamp(min=0).add_(
            log_ratio.abs().neg_().exp_().log1p_())
        row_scale = (infonce - loss).sub_(math.log1p(-prior)).exp_()
        row_scale.masked_fill_(bounded, 0)
        pos_weight = torch.where(bounded, log_ratio.sigmoid(), row_scale)
        stats = dict(num_picked=zero,
                     bound_rate=bounded.to(logits.dtype).mean(),
                     pairs=pairs)
        return Terms(loss, soft.probs, row_scale=row_scale,
                     pos_weight=pos_weight, stats=stats)
