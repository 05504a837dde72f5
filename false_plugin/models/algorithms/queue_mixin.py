"""What FALSE adds to the queue families (MoCo v2, DenseCL)."""
from typing import Dict, List, Optional, Tuple

import torch
from mmselfsup.structures import SelfSupDataSample
from torch import Tensor

from ..heads import LOG_PREFIX, log_entries
from ...datasets.rs_pretrain import UNKNOWN_LABEL
from .fns_precision import fns_record, gather_labels, image_labels
from .loss_config import fn_head_cfg


class FALSEQueueMixin:
    """What FALSE adds to a MoCo-type algorithm (MoCo v2, DenseCL).

    The upstream ``ContrastiveHead`` is replaced by an
    :class:`FNContrastiveHead` whose loss is built from ``fn_loss`` (any of
    the losses), and a queue of the dominant labels of the queued keys
    follows the key queue entry by entry, so a picked queue negative can be
    compared with its anchor's class (FNS precision). Encoders, momentum
    update, queue and shuffle-BN are upstream's: only the head changes.

    Args:
        backbone (dict): Config of the backbone.
        neck (dict): Config of the neck.
        head (dict): Config of the upstream head; its ``temperature`` is the
            loss's.
        fn_loss (dict, optional): The loss config: ``type`` (``'FNCCLoss'``,
            the default; ``'FNCLoss'``, ``'DebiasedContrastiveLoss'``,
            ``'InfoNCELoss'``) and its arguments (``confidence_weight``,
            ``positive_threshold``, ``selection``... for FNCC).
        fncc (dict, optional): Deprecated name of ``fn_loss`` (it warns).
        queue_len (int): Number of negative keys. Defaults to 65536.
        **kwargs: Other arguments of the upstream algorithm.
    """

    #: The log prefix of each call of the head in one step, in call order;
    #: the FNS precision is counted on the first.
    log_prefixes: Tuple[str, ...] = (LOG_PREFIX, )

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 fn_loss: Optional[dict] = None,
                 fncc: Optional[dict] = None,
                 queue_len: int = 65536,
                 **kwargs) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=fn_head_cfg(head, fn_loss, fncc),
            queue_len=queue_len,
            **kwargs)
        self.register_buffer('queue_labels',
                             torch.full((queue_len, ), UNKNOWN_LABEL,
                                        dtype=torch.long))
        #: FNS precision counts of the last batch (see FNSPrecisionHook).
        self.fns_record: Dict[str, float] = {}

    def loss(self, inputs: List[Tensor],
             data_samples: List[SelfSupDataSample],
             **kwargs) -> Dict[str, Tensor]:
        """Upstream loss plus the diagnostics of each call of the head.

        Args:
            inputs (List[Tensor]): The two views, each ``(n, C, H, W)``.
            data_samples (List[SelfSupDataSample]): The samples; their
                ``dominant_label`` (if any) feeds the FNS precision.

        Returns:
            Dict[str, Tensor]: Upstream's losses and, for each head call,
            its diagnostics (``fn_num_picked``...; see
            :attr:`log_prefixes`).
        """
        labels = image_labels(data_samples, self.queue_labels.device)
        queue_labels, ptr = self.queue_labels.clone(), int(self.queue_ptr)
        losses = super().loss(inputs, data_samples, **kwargs)
        self._enqueue_labels(labels, ptr)
        calls = self.head.pop_stats()
        if len(calls) != len(self.log_prefixes):
            raise RuntimeError(
                f'{type(self).__name__} expected {len(self.log_prefixes)} '
                f'call(s) of its head per step, got {len(calls)}')
        self.fns_record = self._queue_fns_record(calls[0], labels,
                                                 queue_labels)
        for prefix, stats in zip(self.log_prefixes, calls):
            losses.update(log_entries(stats, prefix))
        return losses

    @torch.no_grad()
    def _enqueue_labels(self, labels: Tensor, ptr: int) -> None:
        labels = gather_labels(labels)
        self.queue_labels[ptr:ptr + labels.numel()] = labels

    def _queue_fns_record(self, stats: Dict[str, Tensor],
                          anchor_labels: Tensor,
                          queue_labels: Tensor) -> Dict[str, float]:
        rows, cols = stats['pairs'].unbind(1)
        return fns_record(anchor_labels[rows], queue_labels[cols],
                          anchor_labels, queue_labels, same_population=False)
