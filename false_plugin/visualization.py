"""Pictures of rasters and label maps: percentile stretch, palette colours."""
from typing import Optional, Sequence

import numpy as np


def stretch(img: np.ndarray, valid: Optional[np.ndarray] = None,
            percentiles=(2, 98)) -> np.ndarray:
    """Per-band percentile stretch of ``(H, W, C)`` to uint8.

    Args:
        img (np.ndarray): ``(H, W, C)`` image, any numeric dtype.
        valid (np.ndarray, optional): ``(H, W)`` bool, the pixels the
            percentiles are taken over (the others are black); all pixels
            when None or empty.
        percentiles (tuple): The low and high percentiles mapped to 0 and
            255. Defaults to (2, 98).

    Returns:
        np.ndarray: ``(H, W, C)`` uint8.
    """
    img = img.astype(np.float64)
    pixels = img[valid] if valid is not None and valid.any() else img.reshape(
        -1, img.shape[2])
    lo, hi = np.percentile(pixels, percentiles, axis=0)
    out = np.clip((img - lo) / np.maximum(hi - lo, 1e-6), 0, 1) * 255
    if valid is not None:
        out[~valid] = 0
    return out.astype(np.uint8)


def colorize(label: np.ndarray, palette: Sequence[Sequence[int]],
             ignore_index: int = 255) -> np.ndarray:
    """Index map to RGB with the dataset palette (ignored pixels black).

    Args:
        label (np.ndarray): ``(H, W)`` class indices in [0, 255].
        palette (Sequence[Sequence[int]]): RGB of each class.
        ignore_index (int): Index shown black. Defaults to 255.

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8.
    """
    lut = np.zeros((256, 3), np.uint8)
    lut[:len(palette)] = np.asarray(palette, np.uint8)
    lut[ignore_index] = 0
    return lut[label.astype(np.uint8)]
