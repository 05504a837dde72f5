"""Pixel windows of a scene and how sliding windows tile it.

One type for a window throughout inference: :class:`PixelWindow`, a
``(col, row, width, height)`` box in pixels of the scene (a tuple, so it
passes as the ``window`` of :func:`~false_plugin.datasets.read_raster` and
the loader). Its size alone is ``window_size``, in pixels.
"""
from typing import List, NamedTuple, Sequence, Tuple

from rasterio.windows import Window


class PixelWindow(NamedTuple):
    """A box of a raster, in pixels: columns ``[col, col + width)``, rows
    ``[row, row + height)``."""
    col: int
    row: int
    width: int
    height: int

    def within(self, outer: 'PixelWindow') -> Tuple[slice, slice]:
        """``(rows, cols)`` slices of this box in an array read at
        ``outer`` (which must contain it)."""
        row, col = self.row - outer.row, self.col - outer.col
        return slice(row, row + self.height), slice(col, col + self.width)

    def to_rasterio(self) -> Window:
        """The same box as a :class:`rasterio.windows.Window`."""
        return Window(self.col, self.row, self.width, self.height)


def window_offsets(length: int, window_size: int, overlap: int) -> List[int]:
    """Start of each window along one axis: every ``window_size - overlap``
    pixels, the last one shifted inward so that it ends at the edge (an
    axis shorter than the window gets one window at 0, read padded)."""
    if window_size < 1:
        raise ValueError(f'window_size must be at least 1, got {window_size}')
    if not 0 <= overlap < window_size:
        raise ValueError(
            f'overlap must be in [0, {window_size}), got {overlap}')
    if length <= window_size:
        return [0]
    stride = window_size - overlap
    offsets = list(range(0, length - window_size, stride))
    return offsets + [length - window_size]


def owned_spans(offsets: Sequence[int], length: int,
                window_size: int) -> List[Tuple[int, int]]:
    """The ``[start, end)`` each window writes: the centre of its overlap
    with each neighbour is the seam, so every pixel comes from the window in
    which it lies farthest from an edge (no blending, no visible seams)."""
    cuts = [0] + [(offsets[i + 1] + offsets[i] + window_size) // 2
                  for i in range(len(offsets) - 1)] + [length]
    return list(zip(cuts[:-1], cuts[1:]))


def sliding_windows(width: int, height: int, window_size: int,
                    overlap: int) -> List[Tuple[PixelWindow, PixelWindow]]:
    """``(read, owned)`` window pairs over a ``width`` x ``height`` scene,
    row by row: each window is read whole (clipped to the scene) and writes
    only the box it owns (:func:`owned_spans`); the owned boxes tile the
    scene exactly once."""
    cols = window_offsets(width, window_size, overlap)
    rows = window_offsets(height, window_size, overlap)
    col_spans = owned_spans(cols, width, window_size)
    row_spans = owned_spans(rows, height, window_size)
    pairs = []
    for row, (r0, r1) in zip(rows, row_spans):
        for col, (c0, c1) in zip(cols, col_spans):
            read = PixelWindow(col, row, min(window_size, width - col),
                               min(window_size, height - row))
            pairs.append((read, PixelWindow(c0, r0, c1 - c0, r1 - r0)))
    return pairs
