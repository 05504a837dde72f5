"""MoCo v2 with a false-negative-aware loss."""
from mmselfsup.models.algorithms import MoCo
from mmselfsup.registry import MODELS

from .queue_mixin import FALSEQueueMixin


@MODELS.register_module()
class FALSEMoCo(FALSEQueueMixin, MoCo):
    """MoCo v2 whose contrastive head is an :class:`FNContrastiveHead`
    (with :class:`FNCCLoss`, :class:`FNCLoss` or
    :class:`DebiasedContrastiveLoss`).

    FNSD (or FNC's detection) picks among the queue negatives (which may
    hold an older key of the anchor's own image: a true false negative).
    The loss's diagnostics are logged as ``fn_*``. Arguments: see
    :class:`FALSEQueueMixin` (upstream's plus ``fn_loss``).
    """
