"""FNC: false-negative cancellation (Huynh et al., WACV 2022)."""
import math
from typing import Dict, Tuple

import torch
from mmselfsup.registry import MODELS
from torch import Tensor

from .contrastive_base import ContrastiveLoss, Layout, Terms, k_smallest

MODES = ('eliminate', 'attract')


@MODELS.register_module()
class FNCLoss(ContrastiveLoss):
    r"""False-negative cancellation (FNC) loss.

    Huynh et al., "Boosting Contrastive Self-Supervised Learning with False
    Negative Cancellation", WACV 2022, arXiv 2011.11765. With cosines
    :math:`s_{ij}`, :math:`S_{ij} = \exp(s_{ij}/\tau)`, positive
    :math:`p(i)` and negatives :math:`Neg(i)`, each negative is scored by
    its similarity to the support set of the anchor, the two views of its
    image in the SimCLR layout and the anchor alone in the queue / dense
    layout:

    .. math::

        \mathrm{score}_{ik} = \max(s_{ik}, s_{p(i)k}) \quad
        \text{(SimCLR)}, \qquad \mathrm{score}_{ik} = s_{ik} \quad
        \text{(queue, dense)}

    :math:`F(i)` holds the ``num_candidates`` highest scores with
    :math:`\mathrm{score}_{ik} \ge` ``similarity_threshold`` (a tie goes to
    the first column; no gradient flows through the choice). Then

    - ``mode='eliminate'``: the picked negatives leave the denominator,

      .. math::

          \ell_i = -\log \frac{S_{ip}}{S_{ip} +
                               \sum_{k \in Neg(i) \setminus F(i)} S_{ik}}

    - ``mode='attract'``: they become positives, each with its own term,
      averaged; the denominator keeps every column,

      .. math::

          \ell_i = -\frac{1}{1 + |F(i)|} \sum_{q \in \{p(i)\} \cup F(i)}
                   \log \frac{S_{iq}}{S_{ip} + \sum_{k \in Neg(i)} S_{ik}}

    and the loss is the mean of :math:`\ell_i`. A row with :math:`F(i)`
    empty is InfoNCE in both modes.

    Computed like :class:`FNCCLoss`: one softmax (over the logits with the
    picked entries at ``-inf`` when eliminating), log space, float32
    (float64 for float64 input) outside autocast, no loop over rows, the
    gradient written out. In the SimCLR layout rows ``i`` and ``p(i)``
    share their support set and their candidates, so the selection runs on
    the ``N`` first rows and serves both views.

    Args:
        temperature (float): :math:`\tau`. Defaults to 0.5.
        mode (str): ``'eliminate'`` or ``'attract'``.
        num_candidates (int): Most negatives picked per anchor. Defaults
            to 1.
        similarity_threshold (float): Least score (cosine) of a picked
            negative. Defaults to 0.7.
        loss_weight (float): Multiplier of the loss. Defaults to 1.
    """

    def __init__(self,
                 temperature: float = 0.5,
                 mode: str = 'eliminate',
                 num_candidates: int = 1,
                 similarity_threshold: float = 0.7,
                 loss_weight: float = 1.0) -> None:
        super().__init__(temperature=temperature, loss_weight=loss_weight)
        if mode not in MODES:
            raise ValueError(f'mode must be one of {MODES}, but got {mode!r}')
        if int(num_candidates) != num_candidates or num_candidates < 1:
            raise ValueError('num_candidates must be a positive integer, '
                             f'but got {num_candidates}')
        self.mode = mode
        self.num_candidates = int(num_candidates)
        self.similarity_threshold = float(similarity_threshold)

    def _terms(self, logits: Tensor, layout: Layout) -> Terms:
        """The FNC loss of each row.

        ``last_stats`` gets ``num_picked`` (picked pairs), ``mean_gap``
        (their cosine gap ``|s_im - s_ip|``), ``mean_score`` (their score,
        a cosine) and ``pairs``.
        """
        targets = layout.targets
        rows, cols, score = self._select(logits, layout)
        if self.mode == 'eliminate' and rows.numel():
            # The picked entries leave the softmax: exactly the
            # denominator without them, and no gradient reaches them.
            soft = self._softmax(
                logits.index_put((rows, cols), logits.new_tensor(-math.inf)),
                targets)
        else:
            soft = self._softmax(logits, targets)
        loss = soft.infonce[:, 0]
        logit_gap = logits[rows, cols] - soft.pos_logit[rows, 0]
        stats = self._stats(logit_gap.abs() * self.temperature,
                            score * self.temperature,
                            self._pairs(rows, cols, layout))
        if self.mode == 'eliminate' or not rows.numel():
            return Terms(loss, soft.probs, stats=stats)
        # Attraction: l_i = InfoNCE_i - sum_{m in F(i)} (s_im - s_ip) / tau
        # / (1 + |F(i)|); its gradient moves 1 / (1 + |F(i)|) of the
        # positive's -1 to each picked entry: -c at (i, m), +c at (i, p(i)).
        share = torch.ones_like(loss).index_add_(
            0, rows, torch.ones_like(logit_gap)).reciprocal_()
        loss = loss - torch.zeros_like(loss).index_add_(
            0, rows, logit_gap) * share
        return Terms(loss, soft.probs, rows, cols, share[rows], stats=stats)

    def _select(self, logits: Tensor,
                layout: Layout) -> Tuple[Tensor, Tensor, Tensor]:
        """The picked set: rows, columns (of ``logits``) and score (over
        ``tau``) of each picked entry, row by row."""
        if layout.simclr:
            # Row r < N and row r + N have the support set {r, r + N} and
            # the same candidates (all but r and r + N): one row of scores.
            half = logits.size(0) // 2
            rank = torch.maximum(logits[:half], logits[half:]).neg_()
            rank.add_(layout.exclusion[:half])
        else:
            rank = logits.neg().add_(layout.exclusion)
        rows, cols, values = k_smallest(rank, self.num_candidates)
        kept = values <= -self.similarity_threshold / self.temperature
        rows, cols, score = rows[kept], cols[kept], values[kept].neg_()
        if layout.simclr:
            rows, cols = torch.cat([rows, rows + half]), cols.repeat(2)
            score = score.repeat(2)
        return rows, cols, score

    @staticmethod
    def _stats(cosine_gap: Tensor, score: Tensor,
               pairs: Tensor) -> Dict[str, Tensor]:
        """Diagnostics of one selection (tensors, no host sync)."""
        if not pairs.numel():
            zero = pairs.new_zeros((), dtype=torch.float)
            return dict(num_picked=zero, mean_gap=zero, mean_score=zero,
                        pairs=pairs)
        return dict(
            num_picked=cosine_gap.new_tensor(float(pairs.size(0))),
            mean_gap=cosine_gap.mean(),
            mean_score=score.mean(),
            pairs=pairs)
