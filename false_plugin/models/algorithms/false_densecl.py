"""DenseCL with the FALSE loss on its global and dense branches."""
from typing import Dict, List

import torch
from mmselfsup.models.algorithms import DenseCL
from mmselfsup.registry import MODELS
from mmselfsup.structures import SelfSupDataSample

from .fns_utils import FALSEQueueMixin, diagnostics, image_labels


@MODELS.register_module()
class FALSEDenseCL(FALSEQueueMixin, DenseCL):
    """DenseCL whose contrastive head is an :class:`FNCCHead` (with
    :class:`FNCCLoss`, :class:`FNCLoss` or :class:`DebiasedContrastiveLoss`).

    Upstream DenseCL calls its head twice: on the global queries against the
    global queue and on the dense (per-location) queries against the dense
    queue, weighted by ``loss_lambda``. Both calls go through the loss
    (FNSD + FNCC by default); each gets its own diagnostics
    (``fnsd_single_*``, ``fnsd_dense_*``). Arguments: see
    :class:`FALSEQueueMixin` (upstream's plus ``fncc``, the FALSE keys).
    """

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
