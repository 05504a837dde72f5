"""FNSD selection and FNCC calibration: the FALSE loss, in one place."""
import math
from functools import partial
from typing import Callable, Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from mmselfsup.registry import MODELS
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

SELECTIONS = ('official', 'per_anchor')


@MODELS.register_module()
class FNCCLoss(nn.Module):
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
      calibrated when :math:`s_{ip(i)} \ge T`. With one candidate, a tie
      goes to the first column; with more, ties at the last place are
      broken by ``topk``.

    Everything comes from one softmax over the logits (which never
    overflows) and its row sums in log space, in float32 (float64 for
    float64 input), outside autocast, without a loop over rows; the
    gradient is written out (see :class:`_CalibratedCrossEntropy`).

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
        super().__init__()
        if not temperature > 0:
            raise ValueError(
                f'temperature must be > 0, but got {temperature}')
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
        self.temperature = float(temperature)
        self.confidence_weight = float(confidence_weight)
        self.positive_threshold = float(positive_threshold)
        self.selection = selection
        self.num_candidates = int(num_candidates)
        self.max_gap = max_gap
        self.loss_weight = float(loss_weight)
        #: Diagnostics of the last call, see :meth:`forward_similarities`.
        self.last_stats: Dict[str, Tensor] = {}
        self._layout_cache: Dict[tuple, Tuple[Tensor, Tensor, Tensor]] = {}

    def forward(self, z: Tensor) -> Tensor:
        """SimCLR layout: in-batch negatives.

        Args:
            z (Tensor): ``(2N, D)`` projections, rows ordered
                ``[view1 of images 0..N-1, view2 of images 0..N-1]``;
                normalised here.

        Returns:
            Tensor: The scalar loss.
        """
        if z.dim() != 2 or z.size(0) % 2:
            raise ValueError('z must be (2N, D) with an even number of rows, '
                             f'but got shape {tuple(z.shape)}')
        with torch.autocast(z.device.type, enabled=False):
            # s / tau as one product: z / sqrt(tau) against itself. Every
            # column but the row itself (-inf): the positive and Neg(i).
            z = F.normalize(self._compute_dtype(z), dim=1)
            z = z * self.temperature**-0.5
            targets, self_mask, exclusion = self._simclr_layout(z)
            logits = torch.addmm(self_mask, z, z.t())
            return self._loss(logits, targets, exclusion)

    def forward_similarities(self,
                             pos: Tensor,
                             neg: Tensor,
                             neg_mask: Optional[Tensor] = None,
                             candidate_mask: Optional[Tensor] = None
                             ) -> Tensor:
        """Any family: per-anchor positive and negative similarities.

        Args:
            pos (Tensor): ``(M,)`` or ``(M, 1)`` cosine similarity of each
                anchor with its positive.
            neg (Tensor): ``(M, K)`` cosine similarities with the negatives
                (a queue, the other rows of the batch, dense keys...).
            neg_mask (Tensor, optional): ``(M, K)`` bool, ``True`` where
                ``neg`` holds a negative of the anchor. Defaults to all.
            candidate_mask (Tensor, optional): ``(M, K)`` bool, where FNSD
                may pick. Defaults to ``neg_mask``.

        Returns:
            Tensor: The scalar loss. :attr:`last_stats` then holds
            ``num_calibrated``, ``gate_pass_rate``, ``mean_gap`` (cosine gap
            of the picked pairs) and ``pairs``, the ``(P, 2)`` (row, column
            of ``neg``) indices of the calibrated pairs.
        """
        pos = pos.reshape(-1)
        if neg.dim() != 2 or neg.size(0) != pos.numel():
            raise ValueError(f'neg must be (M, K) with M={pos.numel()}, '
                             f'but got shape {tuple(neg.shape)}')
        if candidate_mask is None:
            candidate_mask = neg_mask
        with torch.autocast(neg.device.type, enabled=False):
            pos = self._compute_dtype(pos)
            neg = self._compute_dtype(neg)
            # Column 0 is the positive, columns 1..K the negatives.
            logits = torch.cat([pos[:, None], neg], dim=1) / self.temperature
            if neg_mask is not None:
                logits[:, 1:].masked_fill_(~neg_mask, -math.inf)
            targets = torch.zeros_like(pos, dtype=torch.long)
            # FNSD never picks the positive (column 0), nor outside the
            # candidates.
            exclusion = torch.zeros_like(
                logits[:1] if candidate_mask is None else logits)
            exclusion[:, 0] = math.inf
            if candidate_mask is not None:
                exclusion[:, 1:].masked_fill_(~candidate_mask, math.inf)
            loss = self._loss(logits, targets, exclusion)
        self.last_stats['pairs'][:, 1] -= 1  # columns of neg
        return loss

    def _loss(self, logits: Tensor, targets: Tensor,
              exclusion: Tensor) -> Tensor:
        """InfoNCE over ``logits`` with FNSD and the FNCC correction.

        Args:
            logits (Tensor): ``(M, C)`` similarities over ``tau``, ``-inf``
                where excluded; the positive of row ``i`` at ``targets[i]``.
            targets (Tensor): ``(M,)`` column of each row's positive.
            exclusion (Tensor): Broadcastable to ``(M, C)``, added to the
                gaps: ``+inf`` where FNSD may not pick (at least the
                positives), else 0.
        """
        select = partial(self._select, targets=targets, exclusion=exclusion)
        # Below tiny / eps a softmax entry loses its precision. A positive's
        # entry is at least exp(-2 / tau) / C (cosines lie in [-1, 1]), so
        # at the usual temperatures no row needs the check.
        info = torch.finfo(logits.dtype)
        faint_below = info.tiny / info.eps
        if (2 / self.temperature + math.log(logits.size(1)) <=
                -math.log(faint_below)):
            faint_below = None
        return _CalibratedCrossEntropy.apply(logits, targets, select,
                                             self.confidence_weight,
                                             self.loss_weight, faint_below)

    def _compute_dtype(self, x: Tensor) -> Tensor:
        return x.double() if x.dtype == torch.float64 else x.float()

    def _simclr_layout(self, z: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """The positives and additive masks of the SimCLR layout, cached
        per shape.

        Returns:
            tuple: each row's positive column ``(i + N) mod 2N``; ``-inf``
            on the diagonal (a row is not its own negative; added to the
            logits inside the matrix product, which costs nothing in the
            backward pass, unlike an in-place fill); and the exclusion of
            :meth:`_select`: ``+inf`` on the row itself, its positive and, in
            official mode, ``j <= i`` (an addition is faster than a boolean
            ``masked_fill``).
        """
        rows = z.size(0)
        key = (rows, z.device, z.dtype)
        if key not in self._layout_cache:
            index = torch.arange(rows, device=z.device)
            targets = (index + rows // 2) % rows
            excluded = torch.eye(rows, dtype=torch.bool, device=z.device)
            self_mask = z.new_zeros(rows, rows).masked_fill_(
                excluded, -math.inf)
            excluded[index, targets] = True
            if self.selection == 'official':  # upper triangle only
                excluded |= torch.ones_like(excluded).tril()
            self._layout_cache = {
                key: (targets, self_mask,
                      z.new_zeros(rows, rows).masked_fill_(excluded, math.inf))
            }
        return self._layout_cache[key]

    def _select(self, logits: Tensor, probs: Tensor, pos_logit: Tensor,
                pos_prob: Tensor, log_total: Tensor, faint: Optional[Tensor],
                targets: Tensor,
                exclusion: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """FNSD: the pairs to calibrate; sets :attr:`last_stats`.

        The official gap is ranked within a row on a scaled copy (see
        :meth:`_official_gap`) and across rows by its logarithm. The
        per-anchor gap is the cosine gap ``|s_ij - s_ip|``, ranked as
        ``|s_ij - s_ip| / tau``. The gate compares ``s_ip`` with ``T``.

        Args:
            logits (Tensor): ``(M, C)`` similarities over ``tau``.
            probs (Tensor): ``softmax(logits)``.
            pos_logit, pos_prob (Tensor): ``(M, 1)``, both at the positive.
            log_total (Tensor): ``(M, 1)``, ``log sum_k S_ik``, so that
                ``S = probs * exp(log_total)``.
            faint (Tensor, optional): Rows whose ``pos_prob`` lost its
                precision (``None``: there can be none).
            targets, exclusion: As in :meth:`_loss`.

        Returns:
            tuple: rows, columns (of ``logits``) and ``(s_im - s_ip) / tau``
            of the calibrated pairs.
        """
        none = targets.new_zeros(0)
        if self.confidence_weight == 0:  # InfoNCE: nothing to pick
            self.last_stats = self._stats(none.bool(), none.float(),
                                          none.view(0, 2))
            return none, none, logits.new_zeros(0)
        if self.selection == 'official':
            gap, log_scale = self._official_gap(logits, probs, pos_logit,
                                                pos_prob, log_total, faint)
        else:
            gap = (logits - pos_logit).abs_()
            if self.max_gap is not None:
                gap.masked_fill_(gap * self.temperature >= self.max_gap,
                                 math.inf)
        gap.add_(exclusion)

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
            if self.num_candidates == 1:  # the first of tied columns
                values, cols = gap.min(dim=1, keepdim=True)
            else:
                values, cols = gap.topk(min(self.num_candidates, gap.size(1)),
                                        dim=1, largest=False)
            kept = torch.isfinite(values)
            rows = torch.arange(gap.size(0), device=gap.device)
            rows, cols = rows[:, None].expand_as(cols)[kept], cols[kept]
        anchor_pos_logit = pos_logit[rows, 0]
        logit_gap = logits[rows, cols] - anchor_pos_logit
        passed = anchor_pos_logit >= self.positive_threshold / self.temperature
        rows, cols = rows[passed], cols[passed]
        self.last_stats = self._stats(passed,
                                      logit_gap.abs() * self.temperature,
                                      torch.stack([rows, cols], 1))
        return rows, cols, logit_gap[passed]

    @staticmethod
    def _official_gap(logits: Tensor, probs: Tensor, pos_logit: Tensor,
                      pos_prob: Tensor, log_total: Tensor,
                      faint: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
        """``|S_ij - S_ip|`` as a row-scaled ``gap`` with the ``(M,)``
        logarithm of each row's scale.

        ``|S_ij - S_ip| = exp(log_total_i) |probs_ij - probs_ip|``: no raw
        ``S`` (which overflows float32 for ``tau`` below about 0.011) and no
        second exponential. A ``faint`` row, whose positive is too
        improbable for its neighbours to keep their precision in ``probs``
        (float32 and ``tau`` below about 0.03), is scaled by ``S_ip``
        instead: ``S_ip |exp((s_ij - s_ip) / tau) - 1|``.
        """
        gap = (probs - pos_prob).abs_()
        log_scale = log_total[:, 0]
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
            return dict(num_calibrated=zero, gate_pass_rate=zero,
                        mean_gap=zero, pairs=pairs)
        passed = passed.to(cosine_gap.dtype)
        return dict(
            num_calibrated=passed.sum(),
            gate_pass_rate=passed.mean(),
            mean_gap=cosine_gap.mean(),
            pairs=pairs)


class _CalibratedCrossEntropy(torch.autograd.Function):
    """``weight`` times the mean over rows of ``-log((S_ip + alpha
    sum_{m in F(i)} S_im) / sum_k S_ik)``, FNSD included, with its gradient
    written out.

    One softmax serves the loss, the official selection and the backward
    pass, which is ``softmax - one-hot(positive)`` plus the correction at
    the picked entries only. Arguments: ``logits`` ``(M, C)``, ``targets``
    ``(M,)``, ``select(logits, probs, pos_logit, pos_prob, log_total,
    faint) -> (rows, cols, logit_gap)`` (FNSD, without gradient),
    ``alpha``, ``weight`` and ``faint_below`` (the probability under which
    a positive's softmax entry has lost its precision; ``None`` where none
    can).
    """

    @staticmethod
    def forward(ctx, logits: Tensor, targets: Tensor,
                select: Callable[..., Tuple[Tensor, Tensor, Tensor]],
                alpha: float, weight: float,
                faint_below: Optional[float]) -> Tensor:
        probs = logits.softmax(dim=1)
        pos_logit = logits.gather(1, targets[:, None])
        pos_prob = probs.gather(1, targets[:, None])
        # InfoNCE per row, -log of the positive's softmax entry; from
        # log-sum-exp in the rows where that entry lost its precision.
        infonce = pos_prob.log().neg_()
        faint = None
        if faint_below is not None:
            faint = (pos_prob[:, 0] < faint_below).nonzero()[:, 0]
            infonce[faint] = (logits[faint].logsumexp(dim=1, keepdim=True) -
                              pos_logit[faint])
        rows, cols, logit_gap = select(logits, probs, pos_logit, pos_prob,
                                       infonce + pos_logit, faint)
        loss = infonce[:, 0]
        correction = None
        if rows.numel():  # known on the host: the selection synchronised
            # alpha * S_im / S_ip, summed per anchor.
            ratio = logit_gap.exp_().mul_(alpha)
            extra = torch.zeros_like(loss).index_add_(0, rows, ratio)
            # The correction's gradient: d loss_i / d logit_im =
            # -alpha S_im / (S_ip + alpha sum_{m' in F(i)} S_im') = -c_im,
            # and d loss_i / d logit_ip = sum_m c_im.
            correction = ratio.div_(extra[rows].add_(1))
            loss = loss - extra.log1p_()
        ctx.save_for_backward(probs, targets, rows, cols, correction)
        ctx.weight = weight
        return loss.mean() * weight

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor):
        probs, targets, rows, cols, correction = ctx.saved_tensors
        scale = grad * (ctx.weight / probs.size(0))
        grad_logits = probs * scale
        grad_logits.scatter_add_(1, targets[:, None],
                                 scale.neg().expand(probs.size(0), 1))
        if correction is not None:  # -c at (i, m), +c at (i, p(i))
            correction = correction * scale
            grad_logits.index_put_((rows, cols), -correction,
                                   accumulate=True)
            grad_logits.index_put_((rows, targets[rows]), correction,
                                   accumulate=True)
        return grad_logits, None, None, None, None, None
