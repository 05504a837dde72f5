"""Colour-coded label images (ISPRS, DeepGlobe) to index maps."""
from typing import Dict, Sequence, Tuple

import numpy as np

from .label_values import IGNORE_INDEX

Color = Tuple[int, int, int]


def rgb_to_index(label: np.ndarray,
                 palette: Sequence[Color],
                 ignore_colors: Sequence[Color] = (),
                 path: str = '<array>',
                 binarize: bool = False,
                 ignore_index: int = IGNORE_INDEX) -> np.ndarray:
    """Map an RGB label image to class indices.

    Args:
        label (np.ndarray): ``(H, W, 3)`` RGB.
        palette (Sequence[Color]): The colour of class 0, 1, ...
        ignore_colors (Sequence[Color]): Colours mapped to ``ignore_index``.
        path (str): The file, for error messages.
        binarize (bool): Threshold every channel at 128 first (DeepGlobe's
            released masks are not exactly 0/255).
        ignore_index (int): Defaults to :data:`~.label_values.IGNORE_INDEX`
            (255).

    Returns:
        np.ndarray: ``(H, W)`` uint8 indices.

    Raises:
        ValueError: If a colour is neither in the palette nor ignored; the
            message names the file, the colour and its pixel count.
    """
    if label.ndim != 3 or label.shape[2] != 3:
        raise ValueError(f'{path}: expected an RGB label image, got shape '
                         f'{label.shape}')
    if binarize:
        label = np.where(label >= 128, 255, 0).astype(np.uint8)
    codes = (label[..., 0].astype(np.int32) << 16) | (
        label[..., 1].astype(np.int32) << 8) | label[..., 2]
    lut: Dict[int, int] = {}
    for index, (r, g, b) in enumerate(palette):
        lut[(r << 16) | (g << 8) | b] = index
    for r, g, b in ignore_colors:
        lut[(r << 16) | (g << 8) | b] = ignore_index
    values, inverse, counts = np.unique(
        codes, return_inverse=True, return_counts=True)
    unknown = [(v, c) for v, c in zip(values, counts) if int(v) not in lut]
    if unknown:
        listing = ', '.join(f'({v >> 16}, {(v >> 8) & 255}, {v & 255}): '
                            f'{c} px' for v, c in unknown[:5])
        raise ValueError(f'{path}: colours not in the palette: {listing}')
    mapped = np.array([lut[int(v)] for v in values], dtype=np.uint8)
    return mapped[inverse.reshape(codes.shape)]
