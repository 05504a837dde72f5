from .fns_precision_hook import FNSPrecisionHook
from .seg_visualization_hook import RSSegVisualizationHook

__all__ = ['FNSPrecisionHook', 'RSSegVisualizationHook']
