"""Augmentations for multi-band float imagery (any number of bands).

mmselfsup's colour transforms go through PIL and need 8-bit RGB; these work
on the float32 ``(H, W, C)`` arrays of :class:`LoadRSImageFromFile`.
Geometric ones (``RandomResizedCrop`` with ``backend='cv2'``,
``RandomFlip``; mmseg's ``RandomResize``, ``Resize``, ``RandomCrop``) work
on such arrays upstream, with two limits of ``cv2.resize``, which they call
through ``mmcv.imresize``:

- it returns a 1-band ``(H, W, 1)`` image as ``(H, W)`` (panchromatic, SAR:
  the channel axis is dropped; more bands keep theirs). The transforms
  here therefore take ``(H, W)`` as one band and always return
  ``(H, W, C)``, and the packing transforms (``PackSelfSupInputs``,
  ``PackSegInputs``) restore the axis too, so the shipped pipelines take
  1-band rasters unchanged. The axis is restored where it is needed rather
  than by a new transform after each cv2 step, which every user config
  would have to add.
- it refuses more bands than OpenCV's ``CV_CN_MAX`` (512 in OpenCV 4, 128
  in OpenCV 5): such images (hyperspectral) cannot be resized upstream;
  select bands with ``LoadRSImageFromFile(bands=[...])``.
"""
from typing import Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmselfsup.registry import TRANSFORMS


def with_band_axis(img: np.ndarray) -> np.ndarray:
    """``img`` as ``(H, W, C)``: an ``(H, W)`` image is one band.

    ``cv2.resize`` (behind ``RandomResizedCrop``, ``Resize``...) returns a
    1-band ``(H, W, 1)`` image as ``(H, W)``; this restores the axis (a view,
    no copy) and leaves ``(H, W, C)`` images as they are.

    Args:
        img (np.ndarray): ``(H, W)`` or ``(H, W, C)``.

    Returns:
        np.ndarray: ``(H, W, C)``.

    Raises:
        ValueError: If ``img`` is neither 2- nor 3-dimensional.
    """
    if img.ndim == 2:
        return img[..., None]
    if img.ndim != 3:
        raise ValueError('expected an (H, W) or (H, W, C) image, got shape '
                         f'{img.shape}')
    return img


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
    carry the nodata mask along. An ``(H, W)`` image (one band whose axis
    ``cv2.resize`` dropped) is taken as one band and returned as
    ``(H, W, 1)``, applied or not.

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
        results['img'] = with_band_axis(results['img'])
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

    Bands are blurred one at a time (cv2 takes at most ``CV_CN_MAX``
    channels), so any band count works. An ``(H, W)`` image (one band whose
    axis ``cv2.resize`` dropped) is returned as ``(H, W, 1)``, blurred or
    not.

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
        results['img'] = with_band_axis(results['img'])
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
