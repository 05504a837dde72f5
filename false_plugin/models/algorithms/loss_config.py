"""The head of a FALSE algorithm from its config keys: the one place the
loss config is built."""
from typing import Optional

from ...deprecation import warn_deprecated
from ..heads import DEFAULT_TEMPERATURE

#: The loss of a FALSE algorithm whose ``fn_loss`` names no ``type``.
DEFAULT_LOSS = 'FNCCLoss'


def fn_loss_cfg(fn_loss: Optional[dict],
                fncc: Optional[dict] = None) -> dict:
    """The loss config of a FALSE algorithm.

    Args:
        fn_loss (dict, optional): The ``fn_loss`` keys: ``type``
            (``'FNCCLoss'``, the default; ``'FNCLoss'``,
            ``'DebiasedContrastiveLoss'``, ``'InfoNCELoss'``) and its
            arguments.
        fncc (dict, optional): The deprecated name of ``fn_loss`` (it
            warns). Merged over ``fn_loss``: a child config or a
            ``--cfg-options model.fncc.<key>=...`` written for the old name
            overrides the keys it names.

    Returns:
        dict: The loss config, with its ``type``.
    """
    cfg = dict(fn_loss or {})
    if fncc is not None:
        warn_deprecated("the config key 'model.fncc'", "'model.fn_loss'")
        cfg.update(fncc)
    if 'temperature' in cfg:
        raise ValueError(
            f'fn_loss sets temperature={cfg["temperature"]}: the temperature '
            'of a FALSE model is its baseline head\'s, set it in '
            'model.head.temperature')
    cfg.setdefault('type', DEFAULT_LOSS)
    return cfg


def fn_head_cfg(head: dict,
                fn_loss: Optional[dict],
                fncc: Optional[dict] = None) -> dict:
    """The ``FNContrastiveHead`` replacing an upstream ``ContrastiveHead``.

    Args:
        head (dict): The upstream head config; its ``temperature`` (else
            upstream's default, 0.1) is the loss's, so a FALSE config keeps
            its baseline's temperature.
        fn_loss (dict, optional): See :func:`fn_loss_cfg`.
        fncc (dict, optional): Deprecated name of ``fn_loss``.

    Returns:
        dict: The head config.
    """
    return dict(
        type='FNContrastiveHead',
        loss=fn_loss_cfg(fn_loss, fncc),
        temperature=head.get('temperature', DEFAULT_TEMPERATURE))
