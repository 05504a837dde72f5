"""Augmentations for multi-band float imagery (any number of bands).

mmselfsup's colour transforms go through PIL and need 8-bit RGB; these work
on the float32 ``(H, W, C)`` arrays of :class:`LoadRSImageFromFile`.
Geometric ones (``RandomResizedCrop`` with ``backend='cv2'``,
``RandomFlip``) already work on such arrays upstream.
"""
from typing import Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmselfsup.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RSSpectralJitter(BaseTransform):
    """Random brightness and contrast, the colour distortion of
    multispectral imagery.

    Each band ``b`` becomes ``(x_b - m_b) * c_b + m_b * s_b`` with ``m_b``
    the band mean of the view, contrast ``c_b`` drawn from
    ``[1 - contrast, 1 + contrast]`` and brightness ``s_b`` from
    ``[1 - brightness, 1 + brightness]``, per band or, with
    ``per_band=False``, one draw for all bands: an illumination change that
    keeps the shape of each pixel's spectrum, which land-cover classes are
    told apart by. Fill nodata at load time
    (``LoadRSImageFromFile(nodata_value=...)``): geometric transforms do not
    carry the nodata mask along.

    Args:
        brightness (float): Brightness jitter strength. Defaults to 0.4.
        contrast (float): Contrast jitter strength. Defaults to 0.4.
        prob (float): Probability to apply. Defaults to 0.8.
        per_band (bool): Draw the factors for each band independently.
            Defaults to True.
    """

    def __init__(self,
                 brightness: float = 0.4,
                 contrast: float = 0.4,
                 prob: float = 0.8,
                 per_band: bool = True) -> None:
        self.brightness = brightness
        self.contrast = contrast
        self.prob = prob
        self.per_band = per_band

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        img = results['img'].astype(np.float32)
        bands = img.shape[2]
        mean = img.reshape(-1, bands).mean(0)
        draws = bands if self.per_band else 1
        contrast = np.random.uniform(1 - self.contrast, 1 + self.contrast,
                                     draws)
        brightness = np.random.uniform(1 - self.brightness,
                                       1 + self.brightness, draws)
        out = (img - mean) * contrast + mean * brightness
        results['img'] = out.astype(np.float32)
        return results


@TRANSFORMS.register_module()
class RSGaussianBlur(BaseTransform):
    """Gaussian blur of every band, sigma drawn from a range.

    Args:
        sigma_range (tuple[float, float]): Sigma range in pixels.
            Defaults to (0.1, 1.0).
        prob (float): Probability to apply. Defaults to 0.5.
    """

    def __init__(self,
                 sigma_range: Tuple[float, float] = (0.1, 1.0),
                 prob: float = 0.5) -> None:
        self.sigma_range = sigma_range
        self.prob = prob

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        sigma = np.random.uniform(*self.sigma_range)
        img = results['img']
        blurred = np.stack([
            cv2.GaussianBlur(img[..., b], (0, 0), sigma)
            for b in range(img.shape[2])
        ], axis=2)
        results['img'] = blurred.astype(np.float32)
        return results
