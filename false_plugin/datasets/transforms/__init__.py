from .loading import LoadRSAnnotations, LoadRSImageFromFile
from .spectral import RSGaussianBlur, RSSpectralJitter

__all__ = [
    'LoadRSImageFromFile', 'LoadRSAnnotations', 'RSSpectralJitter',
    'RSGaussianBlur'
]
