"""MoCo v2 with the FALSE loss."""
from typing import Dict, List, Optional

import torch
from mmselfsup.models.algorithms import MoCo
from mmselfsup.registry import MODELS
from mmselfsup.structures import SelfSupDataSample

from .fns_utils import (LabelQueueMixin, diagnostics, fncc_head_cfg,
                        image_labels)


@MODELS.register_module()
class FALSEMoCo(LabelQueueMixin, MoCo):
    """MoCo v2 whose contrastive head is an :class:`FNCCHead`.

    FNSD picks among the queue negatives (which may hold an older key of the
    anchor's own image: a true false negative). Encoders, momentum update,
    queue and shuffle-BN are upstream's: only the head changes.

    Args:
        backbone (dict): Config of the backbone.
        neck (dict): Config of the neck.
        head (dict): Config of the upstream head; its ``temperature`` is the
            FNCC default.
        fncc (dict, optional): The FALSE keys (arguments of
            :class:`FNCCLoss`).
        queue_len (int): Number of negative keys. Defaults to 65536.
        **kwargs: Other arguments of ``MoCo``.
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
        """Upstream MoCo loss plus the FNSD diagnostics."""
        labels = image_labels(data_samples, self.queue_labels.device)
        queue_labels, ptr = self.queue_labels.clone(), int(self.queue_ptr)
        losses = super().loss(inputs, data_samples, **kwargs)
        self._enqueue_labels(labels, ptr)
        stats, = self.head.pop_stats()
        self.fns_record = self._queue_fns_record(stats, labels, queue_labels)
        losses.update(diagnostics(stats, 'fnsd'))
        return losses
