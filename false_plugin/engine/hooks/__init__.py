from .fns_precision_hook import FNSPrecisionHook

__all__ = ['FNSPrecisionHook']
