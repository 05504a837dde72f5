from .fncc_head import FNCCHead

__all__ = ['FNCCHead']
