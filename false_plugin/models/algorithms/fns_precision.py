"""FNS precision counts: do the picked pairs share their dominant class?"""
from typing import Dict, List

import torch
from mmengine.dist import all_gather
from torch import Tensor

from ...datasets.rs_pretrain import UNKNOWN_LABEL


def image_labels(data_samples: List, device: torch.device) -> Tensor:
    """The ``dominant_label`` of each sample (:data:`UNKNOWN_LABEL` if
    absent)."""
    return torch.tensor(
        [int(s.get('dominant_label', UNKNOWN_LABEL)) for s in data_samples],
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
    known = ((anchor_labels != UNKNOWN_LABEL)
             & (negative_labels != UNKNOWN_LABEL))
    num_same = int((anchor_labels[known] == negative_labels[known]).sum())
    a = population_a[population_a != UNKNOWN_LABEL]
    b = population_b[population_b != UNKNOWN_LABEL]
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
