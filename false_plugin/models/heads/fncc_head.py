"""A drop-in for mmselfsup's ContrastiveHead that computes a FALSE-type loss
(FNCC, FNC or DCL) on ``(pos, neg)`` similarities."""
from typing import Dict, List, Optional

from mmengine.model import BaseModule
from mmselfsup.registry import MODELS
from torch import Tensor


@MODELS.register_module()
class FNCCHead(BaseModule):
    """Head taking ``(pos, neg)`` similarities, like ``ContrastiveHead``.

    MoCo-type algorithms call their head with the ``(N, 1)`` positive and
    ``(N, K)`` negative cosine similarities (DenseCL calls it twice: global
    and dense). This head hands them to the ``forward_similarities`` of its
    loss (:class:`FNCCLoss`, :class:`FNCLoss` or
    :class:`DebiasedContrastiveLoss`) and keeps the diagnostics of every
    call until :meth:`pop_stats`.

    Args:
        temperature (float): The temperature :math:`\\tau`, the loss's
            default.
        loss (dict, optional): Config of the loss; ``type`` defaults to
            ``'FNCCLoss'``. Without it, ``fncc_kwargs`` are the arguments of
            an :class:`FNCCLoss`.
        init_cfg (dict, optional): Initialization config.
        **fncc_kwargs: The other arguments of :class:`FNCCLoss`
            (``confidence_weight``, ``positive_threshold``, ``selection``...)
            when ``loss`` is not given.
    """

    def __init__(self,
                 temperature: float = 0.1,
                 loss: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 **fncc_kwargs) -> None:
        super().__init__(init_cfg=init_cfg)
        if loss is not None and fncc_kwargs:
            raise ValueError('give the loss arguments either in loss or as '
                             f'keywords, not both (got {sorted(fncc_kwargs)})')
        cfg = dict(loss if loss is not None else fncc_kwargs)
        cfg.setdefault('type', 'FNCCLoss')
        cfg.setdefault('temperature', temperature)
        self.fncc = MODELS.build(cfg)
        self._stats: List[Dict[str, Tensor]] = []

    def forward(self, pos: Tensor, neg: Tensor) -> Tensor:
        """Compute the loss.

        Args:
            pos (Tensor): ``(N, 1)`` positive similarities.
            neg (Tensor): ``(N, K)`` negative similarities.

        Returns:
            Tensor: The loss.
        """
        loss = self.fncc.forward_similarities(pos, neg)
        self._stats.append(self.fncc.last_stats)
        return loss

    def pop_stats(self) -> List[Dict[str, Tensor]]:
        """The diagnostics of the calls since the last pop, in call order."""
        stats, self._stats = self._stats, []
        return stats
