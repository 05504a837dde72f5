"""DenseCL with a false-negative-aware loss on its global and dense
branches."""
from mmselfsup.models.algorithms import DenseCL
from mmselfsup.registry import MODELS

from ..heads import LOG_PREFIX
from .queue_mixin import FALSEQueueMixin


@MODELS.register_module()
class FALSEDenseCL(FALSEQueueMixin, DenseCL):
    """DenseCL whose contrastive head is an :class:`FNContrastiveHead`
    (with :class:`FNCCLoss`, :class:`FNCLoss` or
    :class:`DebiasedContrastiveLoss`).

    Upstream DenseCL calls its head twice: on the global queries against the
    global queue and on the dense (per-location) queries against the dense
    queue, weighted by ``loss_lambda``. Both calls go through the loss; each
    gets its own diagnostics (``fn_single_*``, ``fn_dense_*``). The FNS
    precision is counted on the global branch (one key per image).
    Arguments: see :class:`FALSEQueueMixin` (upstream's plus ``fn_loss``).
    """

    log_prefixes = (f'{LOG_PREFIX}_single', f'{LOG_PREFIX}_dense')
