from .band_check_hook import BandCountError, RSBandCheckHook, add_band_check
from .fns_precision_hook import FNSPrecisionHook
from .frozen_bn_stats_hook import FrozenBNStatsHook
from .seg_visualization_hook import RSSegVisualizationHook

__all__ = [
    'BandCountError', 'RSBandCheckHook', 'add_band_check', 'FNSPrecisionHook',
    'FrozenBNStatsHook', 'RSSegVisualizationHook'
]
