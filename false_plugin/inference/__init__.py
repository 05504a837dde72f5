from .scene import ScenePredictor, predict_scene, test_loader_settings
from .windows import PixelWindow, owned_spans, sliding_windows, window_offsets
from .writer import NODATA_CLASS, SceneWriter, category_table_xml

__all__ = [
    'NODATA_CLASS', 'PixelWindow', 'ScenePredictor', 'SceneWriter',
    'category_table_xml', 'owned_spans', 'predict_scene', 'sliding_windows',
    'test_loader_settings', 'window_offsets'
]
