"""FNSD selection and FNCC calibration: the FALSE loss, in one place."""
import math
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from mmselfsup.registry import MODELS
from torch import Tensor, nn

SELECTIONS = ('official', 'per_anchor')


def rows_cols_pairs(rows: Tensor, cols: Tensor) -> Tensor:
    """``(P, 2)`` long tensor of (row, column) pairs."""
    return torch.stack([rows.long(), cols.long()], dim=1)


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
      calibrated when :math:`s_{ip(i)} \ge T`.

    Everything is computed in log space in float32 (float64 for float64
    input), outside autocast, without a loop over rows.

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
        self._mask_cache: Dict[tuple, Tensor] = {}

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
            z = F.normalize(self._compute_dtype(z), dim=1)
            sim = z @ z.t()
            rows = torch.arange(z.size(0), device=z.device)
            targets = (rows + z.size(0) // 2) % z.size(0)
            # Every column but the row itself: the positive and Neg(i).
            logits = sim / self.temperature
            logits.fill_diagonal_(-math.inf)
            sim = sim.detach()
            return self._loss(logits, targets, sim[rows, targets], sim,
                              self._simclr_excluded(z.size(0), z.device), 0)

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
            excluded = None if candidate_mask is None else ~candidate_mask
            return self._loss(logits, targets, pos.detach(), neg.detach(),
                              excluded, 1)

    def _loss(self, logits: Tensor, targets: Tensor, pos: Tensor,
              neg: Tensor, excluded: Optional[Tensor],
              neg_offset: int) -> Tensor:
        """InfoNCE, then FNSD and the FNCC correction of the picked rows.

        ``l_i = -log(S_ip / sum_k S_ik) - log(1 + alpha * sum_m S_im / S_ip)``:
        the first term is a (fused) cross-entropy over ``logits`` (``(M, C)``,
        ``-inf`` where excluded; the positive at ``targets``); the second
        needs only the picked entries, gathered in one indexing call.

        Args:
            logits (Tensor): ``(M, C)`` similarities over ``tau``.
            targets (Tensor): ``(M,)`` column of each row's positive.
            pos (Tensor): ``(M,)`` positive cosines (no gradient).
            neg (Tensor): ``(M, K)`` negative cosines (no gradient); column
                ``j`` of ``neg`` is column ``j + neg_offset`` of ``logits``.
            excluded (Tensor, optional): ``(M, K)`` where FNSD may not pick.
            neg_offset (int): See ``neg``.
        """
        loss = F.cross_entropy(logits, targets)
        if self.confidence_weight > 0:
            rows, cols = self._select(pos, neg, logits.detach(), neg_offset,
                                      excluded)
            picked = logits[torch.cat([rows, rows]),
                            torch.cat([cols + neg_offset, targets[rows]])]
            ratio = torch.exp(picked[:rows.numel()] - picked[rows.numel():])
            extra = logits.new_zeros(logits.size(0)).index_add(
                0, rows, self.confidence_weight * ratio)
            loss = loss - torch.log1p(extra).mean()
        else:
            empty = pos.new_zeros(0)
            self.last_stats = self._stats(empty, empty,
                                          rows_cols_pairs(empty, empty))
        return self.loss_weight * loss

    def _compute_dtype(self, x: Tensor) -> Tensor:
        return x.double() if x.dtype == torch.float64 else x.float()

    def _simclr_excluded(self, rows: int, device: torch.device) -> Tensor:
        """Where FNSD may not pick in the SimCLR layout (cached per shape):
        the row itself, its positive and, in official mode, ``j <= i``."""
        key = (rows, device)
        if key not in self._mask_cache:
            index = torch.arange(rows, device=device)
            excluded = torch.zeros(rows, rows, dtype=torch.bool, device=device)
            excluded[index, index] = True
            excluded[index, (index + rows // 2) % rows] = True
            if self.selection == 'official':  # upper triangle only
                excluded |= torch.ones_like(excluded).tril()
            self._mask_cache = {key: excluded}
        return self._mask_cache[key]

    @torch.no_grad()
    def _select(self, pos: Tensor, neg: Tensor, logits: Tensor,
                neg_offset: int, excluded: Optional[Tensor]):
        """FNSD: the (row, column of ``neg``) indices of the pairs to
        calibrate.

        The official gap is ``|exp(s_ij / tau) - exp(s_ip / tau)|`` (from the
        logits ``s / tau`` already computed), the per-anchor one the cosine
        gap ``|s_ij - s_ip|``.
        """
        if self.selection == 'official':
            gap = logits[:, neg_offset:].exp().sub_(
                torch.exp(pos / self.temperature)[:, None]).abs_()
        else:
            gap = (neg - pos[:, None]).abs_()
            if self.max_gap is not None:
                gap.masked_fill_(gap >= self.max_gap, math.inf)
        if excluded is not None:
            gap.masked_fill_(excluded, math.inf)

        if self.selection == 'official':
            # The global minimum and all its exact ties: row minima first,
            # then only the rows that reach the minimum are searched.
            row_min = gap.amin(dim=1)
            best = row_min.min()
            if torch.isfinite(best):
                tie_rows = (row_min == best).nonzero(as_tuple=True)[0]
                hits = (gap[tie_rows] == best).nonzero(as_tuple=True)
                rows, cols = tie_rows[hits[0]], hits[1]
            else:
                rows = cols = torch.zeros(0, dtype=torch.long,
                                          device=gap.device)
        else:
            k = min(self.num_candidates, gap.size(1))
            values, cols = gap.topk(k, dim=1, largest=False)
            picked = torch.zeros_like(gap, dtype=torch.bool).scatter_(
                1, cols, torch.isfinite(values))
            rows, cols = picked.nonzero(as_tuple=True)
        passed = pos[rows] >= self.positive_threshold
        cosine_gap = (neg[rows, cols] - pos[rows]).abs()
        self.last_stats = self._stats(
            passed, cosine_gap, rows_cols_pairs(rows[passed], cols[passed]))
        return rows[passed], cols[passed]

    @staticmethod
    def _stats(passed: Tensor, cosine_gap: Tensor,
               pairs: Tensor) -> Dict[str, Tensor]:
        """Diagnostics of one selection (tensors, no host sync)."""
        picked = passed.numel()
        zero = cosine_gap.new_zeros(())
        return dict(
            num_calibrated=passed.sum().to(cosine_gap.dtype),
            gate_pass_rate=passed.to(cosine_gap.dtype).mean()
            if picked else zero,
            mean_gap=cosine_gap.mean() if picked else zero,
            pairs=pairs)
