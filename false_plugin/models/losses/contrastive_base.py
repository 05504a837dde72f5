"""What the contrastive losses of this plugin share.

:class:`ContrastiveLoss` holds the two layouts (SimCLR's in-batch negatives
and the ``(pos, neg)`` similarities of queue and dense families), the masks,
the compute precision (float32, float64 for float64 input, outside
autocast) and the assignment of :attr:`~ContrastiveLoss.last_stats`.
:class:`_ContrastiveCrossEntropy` is the one autograd ``Function`` they all
run: a cross-entropy over one softmax with its gradient written out, which
each loss shapes through the :class:`Terms` its ``_terms`` returns.
:func:`k_smallest` is the per-row selection the FNSD and FNC pickers share.
"""
import math
from functools import partial
from typing import Dict, NamedTuple, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd.function import once_differentiable


class Layout(NamedTuple):
    """Where everything is in a ``(M, C)`` logits matrix.

    Attributes:
        targets (Tensor): ``(M,)`` column of each row's positive.
        exclusion (Tensor, optional): Broadcastable to ``(M, C)``: ``+inf``
            where no selection may pick (at least the positives and, in the
            SimCLR layout, the row itself), else 0.
        simclr (bool): Rows and columns are the same ``2N`` embeddings,
            ``[view1 of images 0..N-1, view2 of images 0..N-1]``.
        col_offset (int): What to subtract from a column of the logits to get
            the caller's column: 0 in the SimCLR layout, 1 in the similarity
            layout (column 0 is the positive, ``neg`` starts at column 1).
        neg_mask (Tensor, optional): In the similarity layout, ``(M, K)``
            bool, where ``neg`` holds a negative (``None``: everywhere).
    """

    targets: Tensor
    exclusion: Optional[Tensor]
    simclr: bool
    col_offset: int
    neg_mask: Optional[Tensor] = None

    def num_negatives(self, logits: Tensor) -> Tensor:
        """``|Neg(i)|`` of each row as a ``(M,)`` tensor of ``logits``'s
        dtype."""
        rows, cols = logits.shape
        if self.simclr:  # all but the row itself and its positive
            return logits.new_full((rows, ), cols - 2)
        if self.neg_mask is None:
            return logits.new_full((rows, ), cols - 1)
        return self.neg_mask.sum(dim=1).to(logits.dtype)


class Softmax(NamedTuple):
    """One softmax over the logits and what every loss reads from it.

    Attributes:
        probs (Tensor): ``(M, C)`` ``softmax(logits)``.
        pos_logit (Tensor): ``(M, 1)`` logit of each row's positive.
        pos_prob (Tensor): ``(M, 1)`` its softmax entry.
        infonce (Tensor): ``(M, 1)`` InfoNCE of each row,
            ``-log pos_prob``, from ``logsumexp`` in the ``faint`` rows.
        faint (Tensor, optional): Rows whose ``pos_prob`` lost its
            precision (``None``: there can be none).
    """

    probs: Tensor
    pos_logit: Tensor
    pos_prob: Tensor
    infonce: Tensor
    faint: Optional[Tensor]


class Terms(NamedTuple):
    """What a loss hands to :class:`_ContrastiveCrossEntropy`.

    The gradient with respect to the logits of row ``i`` is
    ``row_scale_i * probs_i - pos_weight_i * one-hot(positive)``, plus
    ``-correction`` at each ``(rows, cols)`` entry and ``+correction`` at
    that row's positive (per unit of the row's loss).

    Attributes:
        loss (Tensor): ``(M,)`` loss of each row.
        probs (Tensor): ``(M, C)`` the softmax the gradient starts from.
        rows, cols (Tensor, optional): ``(P,)`` picked entries (logits
            columns) that get a ``correction``.
        correction (Tensor, optional): ``(P,)``.
        row_scale (Tensor, optional): ``(M,)``; ``None``: 1.
        pos_weight (Tensor, optional): ``(M,)``, only with ``row_scale``.
        stats (dict): The diagnostics of the call (see
            :attr:`ContrastiveLoss.last_stats`).
    """

    loss: Tensor
    probs: Tensor
    rows: Optional[Tensor] = None
    cols: Optional[Tensor] = None
    correction: Optional[Tensor] = None
    row_scale: Optional[Tensor] = None
    pos_weight: Optional[Tensor] = None
    stats: Dict[str, Tensor] = {}


class ContrastiveLoss(nn.Module):
    r"""Base of the InfoNCE-type losses: layouts, precision, diagnostics.

    Every row ``i`` has one positive ``p(i)`` and negatives ``Neg(i)``; with
    cosines :math:`s_{ij}` the logits are :math:`s_{ij} / \tau`. A subclass
    implements :meth:`_terms`, the loss of each row and the shape of its
    gradient from the logits, and may narrow the SimCLR candidates
    (:meth:`_simclr_candidates`). The two entry points, :meth:`forward` and
    :meth:`forward_similarities`, compute everything in float32 (float64 for
    float64 input) outside autocast and assign :attr:`last_stats` once per
    call from what the computation returns.

    Args:
        temperature (float): :math:`\tau`. Defaults to 0.5.
        loss_weight (float): Multiplier of the loss. Defaults to 1.
    """

    def __init__(self,
                 temperature: float = 0.5,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if not temperature > 0:
            raise ValueError(
                f'temperature must be > 0, but got {temperature}')
        self.temperature = float(temperature)
        self.loss_weight = float(loss_weight)
        #: Diagnostics of the last call: ``num_picked`` (picked pairs: the
        #: negatives FNCC calibrates, FNC eliminates or attracts; 0 for DCL
        #: and InfoNCE) and ``pairs``, their ``(P, 2)`` (row, column)
        #: indices, columns of the rows in the SimCLR layout and of ``neg``
        #: in the similarity layout; plus each loss's own (see its
        #: ``_terms``).
        self.last_stats: Dict[str, Tensor] = {}
        self._layout_cache: Dict[tuple, Tuple[Tensor, Tensor,
                                              Optional[Tensor]]] = {}

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
            loss, stats = self._evaluate(
                logits, Layout(targets, exclusion, simclr=True, col_offset=0))
        self.last_stats = stats
        return loss

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
            candidate_mask (Tensor, optional): ``(M, K)`` bool, where a
                selection may pick. Defaults to ``neg_mask``.

        Returns:
            Tensor: The scalar loss. :attr:`last_stats` then holds the
            diagnostics, ``pairs`` as (row, column of ``neg``).
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
            # No selection picks the positive (column 0), nor outside the
            # candidates.
            exclusion = torch.zeros_like(
                logits[:1] if candidate_mask is None else logits)
            exclusion[:, 0] = math.inf
            if candidate_mask is not None:
                exclusion[:, 1:].masked_fill_(~candidate_mask, math.inf)
            loss, stats = self._evaluate(
                logits,
                Layout(targets, exclusion, simclr=False, col_offset=1,
                       neg_mask=neg_mask))
        self.last_stats = stats
        return loss

    def _terms(self, logits: Tensor, layout: Layout) -> Terms:
        """The loss of each row and the shape of its gradient (no autograd:
        this runs inside :class:`_ContrastiveCrossEntropy`)."""
        raise NotImplementedError

    def _simclr_candidates(self, excluded: Tensor) -> Optional[Tensor]:
        """The SimCLR entries no selection may pick, from ``excluded`` (bool
        ``(2N, 2N)``, the row itself and its positive); ``None`` for a loss
        that picks nothing."""
        return excluded

    def _evaluate(self, logits: Tensor,
                  layout: Layout) -> Tuple[Tensor, Dict[str, Tensor]]:
        """The loss and the diagnostics of one call (the name is not
        ``_apply``: that is ``nn.Module``'s, which ``.to()`` calls)."""
        return _ContrastiveCrossEntropy.apply(
            logits, layout.targets, partial(self._terms, layout=layout),
            self.loss_weight)

    def _softmax(self, logits: Tensor, targets: Tensor) -> Softmax:
        """The softmax of ``logits`` and InfoNCE per row (see
        :class:`Softmax`)."""
        probs = logits.softmax(dim=1)
        pos_logit = logits.gather(1, targets[:, None])
        pos_prob = probs.gather(1, targets[:, None])
        # InfoNCE per row, -log of the positive's softmax entry; from
        # log-sum-exp in the rows where that entry lost its precision.
        infonce = pos_prob.log().neg_()
        faint = None
        faint_below = self._faint_below(logits)
        if faint_below is not None:
            faint = (pos_prob[:, 0] < faint_below).nonzero()[:, 0]
            infonce[faint] = (logits[faint].logsumexp(dim=1, keepdim=True) -
                              pos_logit[faint])
        return Softmax(probs, pos_logit, pos_prob, infonce, faint)

    def _faint_below(self, logits: Tensor) -> Optional[float]:
        """The probability under which a positive's softmax entry has lost
        its precision; ``None`` where none can.

        Below tiny / eps a softmax entry loses its precision. A positive's
        entry is at least exp(-2 / tau) / C (cosines lie in [-1, 1]), so at
        the usual temperatures no row needs the check.
        """
        info = torch.finfo(logits.dtype)
        faint_below = info.tiny / info.eps
        if (2 / self.temperature + math.log(logits.size(1)) <=
                -math.log(faint_below)):
            return None
        return faint_below

    def _compute_dtype(self, x: Tensor) -> Tensor:
        return x.double() if x.dtype == torch.float64 else x.float()

    def _simclr_layout(self,
                       z: Tensor) -> Tuple[Tensor, Tensor, Optional[Tensor]]:
        """The positives and additive masks of the SimCLR layout, cached
        per shape.

        Returns:
            tuple: each row's positive column ``(i + N) mod 2N``; ``-inf``
            on the diagonal (a row is not its own negative; added to the
            logits inside the matrix product, which costs nothing in the
            backward pass, unlike an in-place fill); and the exclusion of
            the selection: ``+inf`` on the row itself, its positive and
            what :meth:`_simclr_candidates` adds (an addition is faster than
            a boolean ``masked_fill``).
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
            excluded = self._simclr_candidates(excluded)
            exclusion = None if excluded is None else z.new_zeros(
                rows, rows).masked_fill_(excluded, math.inf)
            self._layout_cache = {key: (targets, self_mask, exclusion)}
        return self._layout_cache[key]

    @staticmethod
    def _pairs(rows: Tensor, cols: Tensor, layout: Layout) -> Tensor:
        """``(P, 2)`` (row, column) in the caller's column convention."""
        return torch.stack([rows, cols - layout.col_offset], 1)


def k_smallest(values: Tensor,
               k: int) -> Tuple[Tensor, Tensor, Tensor]:
    """The ``k`` smallest finite entries of each row, ties to the first
    column.

    ``torch.min`` returns the first of tied columns; ``k > 1`` takes ``k``
    minima in turn, each overwriting its column with ``+inf`` in
    ``values`` (which is consumed).

    Args:
        values (Tensor): ``(M, C)``, ``+inf`` where nothing may be picked.
        k (int): Entries per row.

    Returns:
        tuple: rows, columns and values of the picked entries, ``(P,)``
        each, row by row, in ascending order within a row.
    """
    if k == 1:
        best, cols = values.min(dim=1, keepdim=True)
    else:
        picks = []
        for _ in range(min(k, values.size(1))):
            value, col = values.min(dim=1, keepdim=True)
            values.scatter_(1, col, math.inf)
            picks.append((value, col))
        best = torch.cat([value for value, _ in picks], dim=1)
        cols = torch.cat([col for _, col in picks], dim=1)
    kept = torch.isfinite(best)
    rows = torch.arange(values.size(0), device=values.device)
    return rows[:, None].expand_as(cols)[kept], cols[kept], best[kept]


class _ContrastiveCrossEntropy(torch.autograd.Function):
    """``weight`` times the mean over rows of ``Terms.loss``, with the
    gradient of :class:`Terms` written out.

    Arguments: ``logits`` ``(M, C)``, ``targets`` ``(M,)``, ``terms(logits)
    -> Terms`` (the loss's forward pass, without autograd) and ``weight``.
    Returns the scalar loss and the diagnostics of ``terms`` (a dict, no
    gradient): the module that called it assigns them, so a recomputed
    forward pass changes no state here.

    The backward pass is ``row_scale * softmax - pos_weight * one-hot``
    (``softmax - one-hot`` without a ``row_scale``) plus the correction at
    the picked entries only: one pass over the ``M x C`` matrix.
    """

    @staticmethod
    def forward(ctx, logits: Tensor, targets: Tensor, terms,
                weight: float) -> Tuple[Tensor, Dict[str, Tensor]]:
        out: Terms = terms(logits)
        ctx.save_for_backward(out.probs, targets, out.rows, out.cols,
                              out.correction, out.row_scale, out.pos_weight)
        ctx.weight = weight
        return out.loss.mean() * weight, out.stats

    @staticmethod
    @once_differentiable
    def backward(ctx, grad: Tensor, _stats_grad=None):
        (probs, targets, rows, cols, correction, row_scale,
         pos_weight) = ctx.saved_tensors
        scale = grad * (ctx.weight / probs.size(0))
        if row_scale is None:
            grad_logits = probs * scale
            pos = scale.neg().expand(probs.size(0), 1)
        else:
            grad_logits = probs * (row_scale * scale)[:, None]
            pos = (pos_weight * scale).neg_()[:, None]
        grad_logits.scatter_add_(1, targets[:, None], pos)
        if correction is not None:  # -c at (i, m), +c at (i, p(i))
            correction = correction * scale
            grad_logits.index_put_((rows, cols), -correction,
                                   accumulate=True)
            grad_logits.index_put_((rows, targets[rows]), correction,
                                   accumulate=True)
        return grad_logits, None, None, None
