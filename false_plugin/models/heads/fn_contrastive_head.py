"""The contrastive head of the FALSE algorithms: InfoNCE or a
false-negative-aware loss (FNCC, FNC, DCL), in both layouts."""
import inspect
from typing import Dict, List, Optional

from mmengine.model import BaseModule
from mmselfsup.models.heads import ContrastiveHead
from mmselfsup.registry import MODELS
from torch import Tensor

from ...deprecation import warn_deprecated

#: The temperature of a head that names none: upstream ``ContrastiveHead``'s
#: (0.1), so a FALSE model keeps its baseline's temperature exactly.
DEFAULT_TEMPERATURE: float = inspect.signature(
    ContrastiveHead).parameters['temperature'].default
#: The prefix of the loss diagnostics in the log (``fn_num_picked``...).
LOG_PREFIX = 'fn'


@MODELS.register_module()
class FNContrastiveHead(BaseModule):
    """A drop-in for mmselfsup's ``ContrastiveHead`` that owns the loss.

    The head of the three FALSE algorithms. MoCo-type algorithms call it
    with the ``(N, 1)`` positive and ``(N, K)`` negative cosines, like a
    ``ContrastiveHead`` (DenseCL calls it twice: global and dense);
    SimCLR hands it the batch's embeddings (:meth:`forward_simclr`). Either
    way the loss is ``loss``: :class:`InfoNCELoss` (the baseline's loss),
    :class:`FNCCLoss` (FALSE), :class:`FNCLoss` or
    :class:`DebiasedContrastiveLoss`. The diagnostics of every call
    (:attr:`ContrastiveLoss.last_stats`) are kept until :meth:`pop_stats`.

    Args:
        loss (dict, optional): Config of the loss, with its ``type``.
            Defaults to ``InfoNCELoss``.
        temperature (float, optional): :math:`\\tau`. Defaults to the
            loss config's ``temperature``, else upstream
            ``ContrastiveHead``'s (:data:`DEFAULT_TEMPERATURE`); the two
            may not differ.
        init_cfg (dict, optional): Initialization config.
    """

    def __init__(self,
                 loss: Optional[dict] = None,
                 temperature: Optional[float] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        cfg = dict(loss if loss is not None else dict(type='InfoNCELoss'))
        if 'type' not in cfg:
            raise ValueError(
                'the loss config of FNContrastiveHead needs a type '
                "('InfoNCELoss', 'FNCCLoss', 'FNCLoss' or "
                f"'DebiasedContrastiveLoss'), but got {cfg}")
        if temperature is None:
            temperature = cfg.get('temperature', DEFAULT_TEMPERATURE)
        elif cfg.get('temperature', temperature) != temperature:
            raise ValueError(
                f'the head temperature ({temperature}) and the loss '
                f'temperature ({cfg["temperature"]}) differ: give one')
        cfg['temperature'] = temperature
        self.temperature = temperature
        self.loss = MODELS.build(cfg)
        self._stats: List[Dict[str, Tensor]] = []

    def forward(self, pos: Tensor, neg: Tensor) -> Tensor:
        """The loss of a queue / dense family (``ContrastiveHead``'s call).

        Args:
            pos (Tensor): ``(N, 1)`` positive similarities.
            neg (Tensor): ``(N, K)`` negative similarities.

        Returns:
            Tensor: The loss.
        """
        return self._keep_stats(self.loss.forward_similarities(pos, neg))

    def forward_simclr(self, z: Tensor) -> Tensor:
        """The loss of the SimCLR layout (in-batch negatives).

        Args:
            z (Tensor): ``(2N, D)`` projections, rows ordered
                ``[view1 of images 0..N-1, view2 of images 0..N-1]``.

        Returns:
            Tensor: The loss.
        """
        return self._keep_stats(self.loss(z))

    def pop_stats(self) -> List[Dict[str, Tensor]]:
        """The diagnostics of the calls since the last pop, in call order."""
        stats, self._stats = self._stats, []
        return stats

    def _keep_stats(self, loss: Tensor) -> Tensor:
        self._stats.append(self.loss.last_stats)
        return loss


def log_entries(stats: Dict[str, Tensor], prefix: str) -> Dict[str, Tensor]:
    """Loss-dict entries for mmengine's log: every scalar of a loss's
    ``last_stats`` (``num_picked`` and the loss's own: ``gate_pass_rate``
    and ``mean_gap`` for FNCC...) as ``<prefix>_<name>``.

    The names hold no ``loss``: mmengine would add them to the loss.
    """
    return {
        f'{prefix}_{key}': value.detach().float()
        for key, value in stats.items() if key != 'pairs'
    }


@MODELS.register_module()
class FNCCHead(FNContrastiveHead):
    """Deprecated name of :class:`FNContrastiveHead` (it computes FNC and
    DCL too), with its old arguments: without ``loss``, the keywords are
    those of an :class:`FNCCLoss`; a ``loss`` without ``type`` is an
    ``FNCCLoss``; the loss's ``temperature`` overrides the head's.

    Args:
        temperature (float): :math:`\\tau`. Defaults to 0.1.
        loss (dict, optional): Config of the loss.
        init_cfg (dict, optional): Initialization config.
        **fncc_kwargs: Arguments of an :class:`FNCCLoss` without ``loss``.
    """

    def __init__(self,
                 temperature: float = DEFAULT_TEMPERATURE,
                 loss: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 **fncc_kwargs) -> None:
        warn_deprecated("the head type 'FNCCHead'", "'FNContrastiveHead'")
        if loss is not None and fncc_kwargs:
            raise ValueError('give the loss arguments either in loss or as '
                             f'keywords, not both (got {sorted(fncc_kwargs)})')
        cfg = dict(loss if loss is not None else fncc_kwargs)
        cfg.setdefault('type', 'FNCCLoss')
        cfg.setdefault('temperature', temperature)
        super().__init__(loss=cfg, init_cfg=init_cfg)
