"""A drop-in for mmselfsup's ContrastiveHead that computes the FNCC loss."""
from typing import Dict, List, Optional

from mmengine.model import BaseModule
from mmselfsup.registry import MODELS
from torch import Tensor

from ..losses import FNCCLoss


@MODELS.register_module()
class FNCCHead(BaseModule):
    """Head taking ``(pos, neg)`` similarities, like ``ContrastiveHead``.

    MoCo-type algorithms call their head with the ``(N, 1)`` positive and
    ``(N, K)`` negative cosine similarities (DenseCL calls it twice: global
    and dense). This head hands them to :meth:`FNCCLoss.forward_similarities`
    and keeps the diagnostics of every call until :meth:`pop_stats`.

    Args:
        temperature (float): The temperature :math:`\\tau`.
        init_cfg (dict, optional): Initialization config.
        **fncc_kwargs: The other arguments of :class:`FNCCLoss`
            (``confidence_weight``, ``positive_threshold``, ``selection``...).
    """

    def __init__(self,
                 temperature: float = 0.1,
                 init_cfg: Optional[dict] = None,
                 **fncc_kwargs) -> None:
        super().__init__(init_cfg=init_cfg)
        self.fncc = FNCCLoss(temperature=temperature, **fncc_kwargs)
        self._stats: List[Dict[str, Tensor]] = []

    def forward(self, pos: Tensor, neg: Tensor) -> Tensor:
        """Compute the FNCC loss.

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
