"""DenseCL with the FALSE loss on its global and dense branches."""
from typing import Dict, List, Optional

import torch
from mmselfsup.models.algorithms import DenseCL
from mmselfsup.registry import MODELS
from mmselfsup.structures import SelfSupDataSample

from .fns_utils import (LabelQueueMixin, diagnostics, fncc_head_cfg,
                        image_labels)


@MODELS.register_module()
class FALSEDenseCL(LabelQueueMixin, DenseCL):
    """DenseCL whose contrastive head is an :class:`FNCCHead`.

    Upstream DenseCL calls its head twice: on the global queries against the
    global queue and on the dense (per-location) queries against the dense
    queue, weighted by ``loss_lambda``. Both calls go through FNSD + FNCC;
    each gets its own diagnostics (``fnsd_single_*``, ``fnsd_dense_*``).

    Args:
        backbone (dict): Config of the backbone.
        neck (dict): Config of the neck.
        head (dict): Config of the upstream head; its ``temperature`` is the
            FNCC default.
        fncc (dict, optional): The FALSE keys (arguments of
            :class:`FNCCLoss`).
        queue_len (int): Number of negative keys. Defaults to 65536.
        **kwargs: Other arguments of ``DenseCL``.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 fncc: Optional[dict] = None,
                 queue_len: int = 65536,
                 **kwargs) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=fncc_head_cfg(head, fncc),
            queue_len=queue_len,
            **kwargs)
        self._init_label_queue(queue_len)
        self.fns_record: Dict[str, float] = {}

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[SelfSupDataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Upstream DenseCL loss plus the FNSD diagnostics of both branches.

        The FNS precision is measured on the global branch (one key per
        image).
        """
        labels = image_labels(data_samples, self.queue_labels.device)
        queue_labels, ptr = self.queue_labels.clone(), int(self.queue_ptr)
        losses = super().loss(inputs, data_samples, **kwargs)
        self._enqueue_labels(labels, ptr)
        single, dense = self.head.pop_stats()
        self.fns_record = self._queue_fns_record(single, labels, queue_labels)
        losses.update(diagnostics(single, 'fnsd_single'))
        losses.update(diagnostics(dense, 'fnsd_dense'))
        return losses
