from . import algorithms, heads, losses  # noqa: F401
