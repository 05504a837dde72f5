"""MoCo v2 with the FALSE loss."""
from typing import Dict, List

import torch
from mmselfsup.models.algorithms import MoCo
from mmselfsup.registry import MODELS
from mmselfsup.structures import SelfSupDataSample

from .fns_utils import FALSEQueueMixin, diagnostics, image_labels


@MODELS.register_module()
class FALSEMoCo(FALSEQueueMixin, MoCo):
    """MoCo v2 whose contrastive head is an :class:`FNCCHead` (with
    :class:`FNCCLoss`, :class:`FNCLoss` or :class:`DebiasedContrastiveLoss`).

    FNSD (or FNC's detection) picks among the queue negatives (which may
    hold an older key of the anchor's own image: a true false negative).
    Encoders, momentum update, queue and shuffle-BN are upstream's: only the
    head changes. Arguments: see :class:`FALSEQueueMixin` (upstream's plus
    ``fncc``, the FALSE keys).
    """

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
