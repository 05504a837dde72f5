from . import algorithms, checkpoints, heads, losses  # noqa: F401
from .data_preprocessor import MultiBandSelfSupDataPreprocessor

__all__ = ['MultiBandSelfSupDataPreprocessor']
