"""FNSD selection and FNCC calibration: the FALSE loss."""
import math
from typing import Dict, Optional, Tuple

import torch
from mmselfsup.registry import MODELS
from torch import Tensor

from .contrastive_base import (ContrastiveLoss, Layout, Softmax, Terms,
                               k_smallest)

SELECTIONS = ('official', 'per_anchor')


@MODELS.register_module()
class FNCCLoss(ContrastiveLoss):
    r"""False-negative-sample confidence calibration (FNCC) loss.

    FALSE (Zhang et al., IEEE GRSL 2022, arXiv 2211.07928) first picks likely
    false negatives without labels (FNSD), then moves a fraction
    :math:`\alpha` of each picked negative's term to the positive side.
    With :math:`S_{ij} = \exp(s_{ij}/\tau)` for cosine similarities
    :math:`s_{ij}`, positive :math:`p(i)`, negatives :math:`Neg(i)` and the
    picked set :math:`F(i) \subseteq Neg(i)`:

    .. math::

        \ell_i = -\log \frac{S_{ip(i)} + \alpha \sum_{m \in F(i)} S_{im}}
                            {S_{ip(i)} + \sum_{k \in Neg(i)} S_{ik}}

    and the loss is the mean of :math:`\ell_i`. The denominator is InfoNCE's:
    a picked negative stays there with weight :math:`1 - \alpha` ("weakened
    negative") and enters the numerator with weight :math:`\alpha`
    ("enhanced positive"). :math:`\alpha = 0` is InfoNCE exactly.

    FNSD, the choice of :math:`F`, is a discrete step without gradient:

    - ``'official'`` (the authors' code): one global minimum of the gap
      :math:`D_{ij} = |S_{ij} - S_{ip(i)}|` over all candidate pairs (in the
      SimCLR layout the upper triangle :math:`j > i`); every exactly tied
      pair is picked. A picked pair is calibrated only if its anchor's
      positive is confident, :math:`s_{ip(i)} \ge T`; there is no fall-back.
    - ``'per_anchor'`` (the paper's figure): for every anchor, the
      ``num_candidates`` candidates with the smallest cosine gap
      :math:`|s_{ij} - s_{ip(i)}|` (optionally only gaps below ``max_gap``),
      calibrated when :math:`s_{ip(i)} \ge T`. A tie goes to the first
      column.

    Everything comes from one softmax over the logits (which never
    overflows) and its row sums in log space, in float32 (float64 for
    float64 input), outside autocast, without a loop over rows; the
    gradient is written out (see :class:`ContrastiveLoss`).

    Args:
        temperature (float): :math:`\tau`. Defaults to 0.5.
        confidence_weight (float): :math:`\alpha`, in [0, 1]. Defaults to 1.
        positive_threshold (float): :math:`T`, the cosine a positive pair
            must reach for its anchor to be calibrated. Defaults to 0.9.
        selection (str): ``'official'`` or ``'per_anchor'``.
        num_candidates (int): Candidates kept per anchor in ``'per_anchor'``
            mode. Defaults to 1.
        max_gap (float, optional): In ``'per_anchor'`` mode, keep only
            candidates whose cosine gap is below this bound.
        loss_weight (float): Multiplier of the loss. Defaults to 1.
    """

    def __init__(self,
                 temperature: float = 0.5,
                 confidence_weight: float = 1.0,
                 positive_threshold: float = 0.9,
                 selection: str = 'official',
                 num_candidates: int = 1,
                 max_gap: Optional[float] = None,
                 loss_weight: float = 1.0) -> None:
        super().__init__(temperature=temperature, loss_weight=loss_weight)
        if not 0.0 <= confidence_weight <= 1.0:
            raise ValueError('confidence_weight (alpha) must be in [0, 1], '
                             f'but got {confidence_weight}')
        if selection not in SELECTIONS:
            raise ValueError(f'selection must be one of {SELECTIONS}, '
                             f'but got {selection!r}')
        if int(num_candidates) != num_candidates or num_candidates < 1:
            raise ValueError('num_candidates must be a positive integer, '
                             f'but got {num_candidates}')
        if max_gap is not None and not max_gap > 0:
            raise ValueError(f'max_gap must be > 0, but got {max_gap}')
        self.confidence_weight = float(confidence_weight)
        self.positive_threshold = float(positive_threshold)
        self.selection = selection
        self.num_candidates = int(num_candidates)
        self.max_gap = max_gap

    def _simclr_candidates(self, excluded: Tensor) -> Tensor:
        if self.selection == 'official':  # upper triangle only
            excluded |= torch.ones_like(excluded).tril()
        return excluded

    def _terms(self, logits: Tensor, layout: Layout) -> Terms:
        """InfoNCE with FNSD and the FNCC correction.

        ``last_stats`` gets ``num_picked`` (the pairs calibrated: picked by
        FNSD and past the gate), ``gate_pass_rate`` (share of the FNSD
        pairs whose anchor passes the gate), ``mean_gap`` (cosine gap
        ``|s_im - s_ip|`` of the FNSD pairs) and ``pairs`` (the calibrated
        ones).
        """
        soft = self._softmax(logits, layout.targets)
        rows, cols, logit_gap, stats = self._select(logits, soft, layout)
        loss = soft.infonce[:, 0]
        correction = None
        if rows.numel():  # known on the host: the selection synchronised
            # alpha * S_im / S_ip, summed per anchor.
            ratio = logit_gap.exp_().mul_(self.confidence_weight)
            extra = torch.zeros_like(loss).index_add_(0, rows, ratio)
            # The correction's gradient: d loss_i / d logit_im =
            # -alpha S_im / (S_ip + alpha sum_{m' in F(i)} S_im') = -c_im,
            # and d loss_i / d logit_ip = sum_m c_im.
            correction = ratio.div_(extra[rows].add_(1))
            loss = loss - extra.log1p_()
        return Terms(loss, soft.probs, rows, cols, correction, stats=stats)

    def _select(
        self, logits: Tensor, soft: Softmax, layout: Layout
    ) -> Tuple[Tensor, Tensor, Tensor, Dict[str, Tensor]]:
        """FNSD: the pairs to calibrate and the diagnostics.

        The official gap is ranked within a row on a scaled copy (see
        :meth:`_official_gap`) and across rows by its logarithm. The
        per-anchor gap is the cosine gap ``|s_ij - s_ip|``, ranked as
        ``|s_ij - s_ip| / tau``. The gate compares ``s_ip`` with ``T``.

        Returns:
            tuple: rows, columns (of ``logits``) and ``(s_im - s_ip) / tau``
            of the calibrated pairs, and the diagnostics.
        """
        none = layout.targets.new_zeros(0)
        if self.confidence_weight == 0:  # InfoNCE: nothing to pick
            return none, none, logits.new_zeros(0), self._stats(
                none.bool(), none.float(), none.view(0, 2))
        pos_logit = soft.pos_logit
        if self.selection == 'official':
            gap, log_scale = self._official_gap(logits, soft)
        else:
            gap = (logits - pos_logit).abs_()
            if self.max_gap is not None:
                gap.masked_fill_(gap * self.temperature >= self.max_gap,
                                 math.inf)
        gap.add_(layout.exclusion)

        if self.selection == 'official':
            # The global minimum and all its exact ties: row minima first,
            # then only the rows that reach the minimum are searched.
            row_min = gap.amin(dim=1)
            log_gap = row_min.log().add_(log_scale)
            best = log_gap.min().item()
            rows = cols = none
            if best < math.inf:  # not everything excluded
                tie_rows = (log_gap == best).nonzero()[:, 0]
                hits, cols = (gap[tie_rows] == row_min[tie_rows, None]
                              ).nonzero(as_tuple=True)
                rows = tie_rows[hits]
        else:
            rows, cols, _ = k_smallest(gap, self.num_candidates)
        anchor_pos_logit = pos_logit[rows, 0]
        logit_gap = logits[rows, cols] - anchor_pos_logit
        passed = anchor_pos_logit >= self.positive_threshold / self.temperature
        rows, cols = rows[passed], cols[passed]
        stats = self._stats(passed, logit_gap.abs() * self.temperature,
                            self._pairs(rows, cols, layout))
        return rows, cols, logit_gap[passed], stats

    @staticmethod
    def _official_gap(logits: Tensor, soft: Softmax) -> Tuple[Tensor, Tensor]:
        """``|S_ij - S_ip|`` as a row-scaled ``gap`` with the ``(M,)``
        logarithm of each row's scale.

        ``|S_ij - S_ip| = exp(log_total_i) |probs_ij - probs_ip|`` with
        ``log_total_i = log sum_k S_ik``: no raw ``S`` (which overflows
        float32 for ``tau`` below about 0.011) and no second exponential. A
        ``faint`` row, whose positive is too improbable for its neighbours
        to keep their precision in ``probs`` (float32 and ``tau`` below
        about 0.03), is scaled by ``S_ip`` instead:
        ``S_ip |exp((s_ij - s_ip) / tau) - 1|``.
        """
        pos_logit, faint = soft.pos_logit, soft.faint
        gap = (soft.probs - soft.pos_prob).abs_()
        log_scale = (soft.infonce + pos_logit)[:, 0]
        if faint is not None and faint.numel():
            gap[faint] = (logits[faint] - pos_logit[faint]).exp_().sub_(
                1).abs_()
            log_scale = log_scale.index_copy(0, faint, pos_logit[faint, 0])
        return gap, log_scale

    @staticmethod
    def _stats(passed: Tensor, cosine_gap: Tensor,
               pairs: Tensor) -> Dict[str, Tensor]:
        """Diagnostics of one selection (tensors, no host sync)."""
        if not passed.numel():
            zero = pairs.new_zeros((), dtype=torch.float)
            return dict(num_picked=zero, gate_pass_rate=zero,
                        mean_gap=zero, pairs=pairs)
        passed = passed.to(cosine_gap.dtype)
        return dict(
            num_picked=passed.sum(),
            gate_pass_rate=passed.mean(),
            mean_gap=cosine_gap.mean(),
            pairs=pairs)
