"""Deprecated names: one warning per name and process."""
import warnings
from typing import Set

_warned: Set[str] = set()


def warn_deprecated(old: str, new: str) -> None:
    """Warn once that ``old`` is deprecated in favour of ``new``.

    A ``FutureWarning`` (shown by default: it is meant for the users of a
    config, not only for developers), at most once per ``old`` in a process.

    Args:
        old (str): What the user wrote, e.g. ``"the config key 'fncc'"``.
        new (str): What to write instead.
    """
    if old in _warned:
        return
    _warned.add(old)
    warnings.warn(f'{old} is deprecated: use {new} instead', FutureWarning,
                  stacklevel=3)
