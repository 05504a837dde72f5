"""What the three FALSE algorithms share besides the loss itself."""
from typing import Dict, List, Optional

import torch
from mmengine.dist import all_gather
from torch import Tensor

#: Label of an image whose dominant class is unknown.
UNKNOWN = -1


def loss_cfg(fncc: Optional[dict], temperature: float) -> dict:
    """The config of the loss from a FALSE algorithm's ``fncc`` keys.

    ``type`` (``'FNCCLoss'``, ``'FNCLoss'`` or ``'DebiasedContrastiveLoss'``)
    defaults to ``'FNCCLoss'``; ``temperature`` to the upstream head's, so a
    FALSE config differs from its baseline only in ``type`` and ``fncc``.
    """
    cfg = dict(fncc or {})
    cfg.setdefault('type', 'FNCCLoss')
    cfg.setdefault('temperature', temperature)
    return cfg


def fncc_head_cfg(head: dict, fncc: Optional[dict]) -> dict:
    """The ``FNCCHead`` replacing an upstream ``ContrastiveHead``, with the
    loss of :func:`loss_cfg`."""
    temperature = head.get('temperature', 0.1)
    return dict(type='FNCCHead', temperature=temperature,
                loss=loss_cfg(fncc, temperature))


def diagnostics(stats: Dict[str, Tensor], prefix: str) -> Dict[str, Tensor]:
    """Loss-dict entries for mmengine's log (names without ``loss``): every
    scalar of the loss's ``last_stats`` (``num_calibrated`` and what the
    loss adds: ``gate_pass_rate`` and ``mean_gap`` for FNCC...)."""
    return {
        f'{prefix}_{key}': value.detach().float()
        for key, value in stats.items() if key != 'pairs'
    }


def image_labels(data_samples: List, device: torch.device) -> Tensor:
    """The ``dominant_label`` of each sample (:data:`UNKNOWN` if absent)."""
    return torch.tensor(
        [int(s.get('dominant_label', UNKNOWN)) for s in data_samples],
        dtype=torch.long,
        device=device)


def gather_labels(labels: Tensor) -> Tensor:
    """Concatenate the labels of all processes, in rank order."""
    return torch.cat(all_gather(labels))


def fns_record(anchor_labels: Tensor, negative_labels: Tensor,
               population_a: Tensor, population_b: Tensor,
               same_population: bool) -> Dict[str, float]:
    """How many picked pairs share their dominant class, and chance.

    Args:
        anchor_labels (Tensor): Labels of the anchors of the picked pairs.
        negative_labels (Tensor): Labels of their picked negatives.
        population_a (Tensor): Labels of all anchors of the batch.
        population_b (Tensor): Labels of all candidate negatives.
        same_population (bool): Whether a and b are the same images (in-batch
            negatives), whose pairs of an image with itself are excluded.

    Returns:
        dict: ``num_same`` and ``num_known`` (picked pairs whose two labels
        are both known) and ``chance``, the rate of shared dominant class
        between a random anchor and a random candidate (``nan`` when no
        labels are known).
    """
    known = (anchor_labels != UNKNOWN) & (negative_labels != UNKNOWN)
    num_same = int((anchor_labels[known] == negative_labels[known]).sum())
    a = population_a[population_a != UNKNOWN]
    b = population_b[population_b != UNKNOWN]
    size = int(max(a.max() if a.numel() else 0, b.max() if b.numel() else 0))
    count_a = torch.bincount(a, minlength=size + 1).double()
    count_b = torch.bincount(b, minlength=size + 1).double()
    same_pairs = float((count_a * count_b).sum())
    all_pairs = float(a.numel() * b.numel())
    if same_population:
        same_pairs -= a.numel()
        all_pairs -= a.numel()
    return dict(
        num_same=num_same,
        num_known=int(known.sum()),
        chance=same_pairs / all_pairs if all_pairs > 0 else float('nan'))


class FALSEQueueMixin:
    """What FALSE adds to a MoCo-type algorithm (MoCo v2, DenseCL).

    The upstream ``ContrastiveHead`` is replaced by an ``FNCCHead`` whose
    loss is built from the FALSE keys (any of the three losses), and a
    queue of the dominant labels of the queued keys follows the key queue
    entry by entry, so a picked queue negative can be compared with its
    anchor's class (FNS precision).

    Args:
        backbone (dict): Config of the backbone.
        neck (dict): Config of the neck.
        head (dict): Config of the upstream head; its ``temperature`` is the
            FNCC default.
        fncc (dict, optional): The FALSE keys: the loss config, ``type``
            (``'FNCCLoss'``, ``'FNCLoss'`` or ``'DebiasedContrastiveLoss'``,
            default ``'FNCCLoss'``) and its arguments.
        queue_len (int): Number of negative keys. Defaults to 65536.
        **kwargs: Other arguments of the upstream algorithm.
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
        self.register_buffer('queue_labels',
                             torch.full((queue_len, ), UNKNOWN,
                                        dtype=torch.long))
        #: FNS precision counts of the last batch (see FNSPrecisionHook).
        self.fns_record: Dict[str, float] = {}

    @torch.no_grad()
    def _enqueue_labels(self, labels: Tensor, ptr: int) -> None:
        labels = gather_labels(labels)
        self.queue_labels[ptr:ptr + labels.numel()] = labels

    def _queue_fns_record(self, stats: Dict[str, Tensor], anchor_labels: Tensor,
                          queue_labels: Tensor) -> Dict[str, float]:
        rows, cols = stats['pairs'].unbind(1)
        return fns_record(anchor_labels[rows], queue_labels[cols],
                          anchor_labels, queue_labels, same_population=False)
