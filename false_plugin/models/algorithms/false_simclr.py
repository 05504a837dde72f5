"""SimCLR with a false-negative-aware loss."""
from typing import Dict, List, Optional

import torch
from mmselfsup.models.algorithms import SimCLR
from mmselfsup.models.utils import GatherLayer
from mmselfsup.registry import MODELS
from mmselfsup.structures import SelfSupDataSample

from ..heads import LOG_PREFIX, log_entries
from .fns_precision import fns_record, gather_labels, image_labels
from .loss_config import fn_head_cfg


@MODELS.register_module()
class FALSESimCLR(SimCLR):
    """SimCLR whose contrastive head is an :class:`FNContrastiveHead` (with
    :class:`FNCCLoss`, :class:`FNCLoss` or :class:`DebiasedContrastiveLoss`,
    from ``fn_loss``).

    Encoders and the gathering of embeddings across processes stay
    upstream's. The rows gathered from all processes are put in the SimCLR
    layout of the losses, ``[view1 of images 0..N-1, view2 of images
    0..N-1]`` with images in rank order, so a batch split over processes
    gives the same loss and the same picked pairs as the whole batch in one
    process. The loss's diagnostics are logged as ``fn_*``.

    Args:
        backbone (dict): Config of the backbone.
        neck (dict): Config of the projection neck.
        head (dict): Config of the upstream head; its ``temperature`` is the
            loss's.
        fn_loss (dict, optional): The loss config: ``type`` (``'FNCCLoss'``,
            the default; ``'FNCLoss'``, ``'DebiasedContrastiveLoss'``,
            ``'InfoNCELoss'``) and its arguments (``confidence_weight``,
            ``positive_threshold``, ``selection``... for FNCC).
        fncc (dict, optional): Deprecated name of ``fn_loss`` (it warns).
        **kwargs: Other arguments of ``SimCLR``.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 fn_loss: Optional[dict] = None,
                 fncc: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(
            backbone=backbone,
            neck=neck,
            head=fn_head_cfg(head, fn_loss, fncc),
            **kwargs)
        #: FNS precision counts of the last batch (see FNSPrecisionHook).
        self.fns_record: Dict[str, float] = {}

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[SelfSupDataSample],
             **kwargs) -> Dict[str, torch.Tensor]:
        """The forward function in training.

        Args:
            inputs (List[torch.Tensor]): The two views, each ``(n, C, H, W)``.
            data_samples (List[SelfSupDataSample]): The samples; their
                ``dominant_label`` (if any) feeds the FNS precision.

        Returns:
            Dict[str, torch.Tensor]: ``loss`` and the loss's diagnostics
            (``fn_num_picked``...).
        """
        assert isinstance(inputs, list) and len(inputs) == 2
        num_local = inputs[0].size(0)
        z = self.neck(self.backbone(torch.cat(inputs)))[0]  # (2n, d)
        z = z.view(2, num_local, -1).transpose(0, 1)  # (n, 2, d)
        z = torch.cat(GatherLayer.apply(z.contiguous()))  # (N, 2, d)
        z = z.transpose(0, 1).reshape(-1, z.size(2))  # (2N, d)
        loss = self.head.forward_simclr(z)

        stats, = self.head.pop_stats()
        labels = gather_labels(image_labels(data_samples, z.device))
        images = stats['pairs'] % labels.numel()
        self.fns_record = fns_record(labels[images[:, 0]],
                                     labels[images[:, 1]], labels, labels,
                                     same_population=True)
        return dict(loss=loss, **log_entries(stats, LOG_PREFIX))
