from . import algorithms, losses  # noqa: F401
