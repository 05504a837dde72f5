from .scene import (ScenePredictor, SceneWriter, owned_spans, predict_scene,
                    window_offsets)

__all__ = [
    'ScenePredictor', 'SceneWriter', 'owned_spans', 'predict_scene',
    'window_offsets'
]
