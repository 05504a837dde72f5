"""Predicting whole scenes: sliding windows in, GeoTIFF class maps out."""
from ..datasets.label_values import IGNORE_INDEX
from ..deprecation import warn_deprecated
from .scene import ScenePredictor, predict_scene, test_loader_settings
from .windows import PixelWindow, owned_spans, sliding_windows, window_offsets
from .writer import SceneWriter, category_table_xml

__all__ = [
    'PixelWindow', 'ScenePredictor', 'SceneWriter', 'category_table_xml',
    'owned_spans', 'predict_scene', 'sliding_windows', 'test_loader_settings',
    'window_offsets'
]


def __getattr__(name: str):
    """``NODATA_CLASS``: the old name of the predicted map's nodata class,
    which is the ignore index (kept with a warning)."""
    if name == 'NODATA_CLASS':
        warn_deprecated('false_plugin.inference.NODATA_CLASS',
                        'false_plugin.datasets.label_values.IGNORE_INDEX')
        return IGNORE_INDEX
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
