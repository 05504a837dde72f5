"""Raw label values to class indices, with nothing changed silently.

Label rasters come with every convention: class indices 0..K-1, binary
0/255 masks (SpaceNet, DeepGlobe Road, Inria), coded land-cover products
(ESA WorldCover 10-100, NLCD 11-95, CORINE 111-523) in uint16 or float
files. A **label map** ``{raw value: class index}`` describes such a product
once; without one, the raw values must already be class indices. Either way
a value that is not a class (and not the ignore value) is reported with its
pixel count, never wrapped to uint8 or passed on.
"""
from typing import Dict, Iterable, Mapping, Optional, Tuple

import numpy as np

from .raster_io import STRIP_ROWS, raster_size, read_raster

#: The ignore value of every index label this package writes or reads:
#: "no class here" (nodata, unlabelled, a value that is not a class). The
#: predicted class maps use the same value, deliberately, where the input is
#: nodata ("no prediction"; it is also their GeoTIFF nodata): a predicted map
#: read back as a label is ignored exactly there.
IGNORE_INDEX = 255
#: Largest class index a uint8 label map can hold besides the ignore value.
MAX_INDEX = IGNORE_INDEX - 1

LabelMap = Mapping[int, int]


def parse_label_map(items: Iterable[str]) -> Dict[int, int]:
    """``['0=0', '255=1']`` (the ``--label-map`` syntax) to ``{0: 0, 255: 1}``.

    Raises:
        ValueError: If an item is not ``RAW=INDEX`` with integers, a raw
            value repeats, or an index is not 0..255.
    """
    label_map = {}
    for item in items:
        try:
            raw, index = (int(v) for v in item.split('='))
        except ValueError as err:
            raise ValueError(f'label map: expected RAW=INDEX with integers, '
                             f'got {item!r}') from err
        if raw in label_map:
            raise ValueError(f'label map: raw value {raw} is mapped twice')
        label_map[raw] = index
    return check_label_map(label_map)


def resolve_label_map(items: Optional[Iterable[str]],
                      table_map: Optional[LabelMap],
                      table_path: str) -> Optional[Dict[int, int]]:
    """The label map of a conversion: ``--label-map`` items or the class
    table's ``value`` column, never both.

    Args:
        items (Iterable[str], optional): ``RAW=INDEX`` items.
        table_map (LabelMap, optional): The table's map
            (:attr:`~.class_table.ClassTable.label_map`).
        table_path (str): The class table, for the error message.

    Returns:
        dict | None: The map; None when neither gives one.

    Raises:
        ValueError: If both give one, or an item is malformed.
    """
    if items and table_map is not None:
        raise ValueError(f'{table_path} has a value column: give the label '
                         'map there or with --label-map, not both')
    return parse_label_map(items) if items else (
        dict(table_map) if table_map is not None else None)


def check_label_map(label_map: LabelMap, source: str = 'label map'
                    ) -> Dict[int, int]:
    """Check that every index fits a uint8 label map (0..255).

    Returns:
        dict: The map with ``int`` keys and values.
    """
    checked = {int(raw): int(index) for raw, index in label_map.items()}
    bad = {raw: index for raw, index in checked.items()
           if not 0 <= index <= 255}
    if bad:
        raise ValueError(f'{source}: class indices must be 0..255, got '
                         f'{bad}')
    return checked


def value_counts(values: np.ndarray) -> Dict[int, int]:
    """Pixel count of each value of an integer array."""
    values = values.ravel()
    if values.size and values.dtype.kind in 'ub' and values.itemsize <= 2:
        counts = np.bincount(values)
        present = np.flatnonzero(counts)
        return dict(zip(present.tolist(), counts[present].tolist()))
    uniques, counts = np.unique(values, return_counts=True)
    return dict(zip(uniques.tolist(), counts.tolist()))


def unmapped_values(counts: Mapping[int, int],
                    label_map: Optional[LabelMap] = None,
                    ignore_index: int = IGNORE_INDEX,
                    num_classes: Optional[int] = None) -> Dict[int, int]:
    """The values of ``counts`` that are neither a class nor ignored.

    Args:
        counts (Mapping[int, int]): Raw value -> pixel count.
        label_map (Mapping[int, int], optional): Raw value -> class index;
            without one the raw values must be class indices
            0..``num_classes`` - 1 (0..254 if ``num_classes`` is None).
        ignore_index (int): The ignore value. Defaults to 255.
        num_classes (int, optional): Mapped indices at or above it are not
            classes either.
    """
    limit = MAX_INDEX + 1 if num_classes is None else num_classes
    bad = {}
    for value, count in counts.items():
        if label_map is None:
            ok = value == ignore_index or 0 <= value < limit
        elif value in label_map:
            ok = label_map[value] == ignore_index or label_map[value] < limit
        else:
            ok = value == ignore_index
        if not ok:
            bad[value] = count
    return bad


def describe_values(counts: Mapping[int, int], limit: int = 20) -> str:
    """``'300 (1,204 px), 301 (12 px)'``, the largest counts first."""
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    text = ', '.join(f'{value} ({count:,} px)' for value, count in
                     items[:limit])
    if len(items) > limit:
        text += f' and {len(items) - limit} more'
    return text


def unmapped_message(path: str, bad: Mapping[int, int],
                     label_map: Optional[LabelMap],
                     num_classes: Optional[int]) -> str:
    """The error for :func:`unmapped_values`: the file, each value, why."""
    if label_map is None:
        limit = MAX_INDEX + 1 if num_classes is None else num_classes
        why = (f'are not class indices 0..{limit - 1} (give a label map '
               'RAW=INDEX for coded values)')
    else:
        why = 'are not in the label map (nor the ignore value)'
    return f'{path}: label values {describe_values(bad)} {why}'


def to_indices(raw: np.ndarray,
               label_map: Optional[LabelMap] = None,
               ignore_index: int = IGNORE_INDEX,
               num_classes: Optional[int] = None,
               nodata: Optional[np.ndarray] = None,
               unmapped: str = 'error',
               path: str = '<array>') -> Tuple[np.ndarray, np.ndarray]:
    """Map raw label values to uint8 class indices.

    Args:
        raw (np.ndarray): ``(H, W)`` raw values, any integer or float dtype
            (float values must be integers).
        label_map (Mapping[int, int], optional): See
            :func:`unmapped_values`.
        ignore_index (int): Written where a pixel is ignored. Defaults to
            255.
        num_classes (int, optional): See :func:`unmapped_values`.
        nodata (np.ndarray, optional): ``(H, W)`` bool, True where the label
            file is nodata; ignored whatever its value.
        unmapped (str): ``'error'`` (default) raises on values that are not
            classes; ``'ignore'`` sets them to ``ignore_index``.
        path (str): The file, for error messages.

    Returns:
        tuple: ``(H, W)`` uint8 indices and the ``(H, W)`` bool mask of the
        pixels ignored because their value is not a class.

    Raises:
        ValueError: On values that are not classes (``unmapped='error'``)
            or non-integer values; the message names the file, each value
            and its pixel count.
    """
    if unmapped not in ('error', 'ignore'):
        raise ValueError(f"unmapped must be 'error' or 'ignore', got "
                         f'{unmapped!r}')
    valid = None if nodata is None else ~nodata
    if raw.dtype.kind == 'f':
        finite = np.isfinite(raw)
        valid = finite if valid is None else valid & finite
        values = raw if valid is None else np.where(valid, raw, 0)
        fraction = values != np.floor(values)
        if fraction.any():
            raise ValueError(
                f'{path}: label values must be integers, got '
                f'{values[fraction][:5].tolist()} '
                f'({int(fraction.sum()):,} px)')
        raw = values.astype(np.int64)
    if raw.dtype.kind not in 'uib':
        raise ValueError(f'{path}: label dtype {raw.dtype} is not integer')
    counts = value_counts(raw if valid is None else raw[valid])
    bad = unmapped_values(counts, label_map, ignore_index, num_classes)
    if bad and unmapped == 'error':
        raise ValueError(unmapped_message(path, bad, label_map, num_classes))
    lut_values = {v: label_map[v] if label_map is not None and v in label_map
                  else v for v in counts}
    for v in bad:
        lut_values[v] = ignore_index
    index = _apply(raw, lut_values, ignore_index)
    not_class = (np.isin(raw, list(bad)) if bad else
                 np.zeros(raw.shape, bool))
    if valid is not None:
        index[~valid] = ignore_index
        not_class &= valid
    return index, not_class


def _apply(raw: np.ndarray, lut_values: Mapping[int, int],
           fill: int) -> np.ndarray:
    """``lut_values[raw]`` as uint8; values not in it get ``fill``."""
    if not lut_values:
        return np.full(raw.shape, fill, np.uint8)
    low, high = min(lut_values), max(lut_values)
    if low >= 0 and high < 1 << 16:
        lut = np.full(high + 1, fill, np.uint8)
        for value, index in lut_values.items():
            lut[value] = index
        return lut[np.clip(raw, 0, high)]
    values = np.array(sorted(lut_values), dtype=raw.dtype)
    indices = np.array([lut_values[v] for v in values.tolist()], np.uint8)
    pos = np.clip(np.searchsorted(values, raw), 0, len(values) - 1)
    return np.where(values[pos] == raw, indices[pos], fill).astype(np.uint8)


def raster_value_counts(path: str,
                        region: Optional[Tuple[int, int, int, int]] = None
                        ) -> Dict[int, int]:
    """Pixel count of each value of band 1 (label nodata left out).

    Read in strips, so a whole label raster is never held in memory.

    Args:
        path (str): The label raster.
        region (tuple, optional): ``(col, row, width, height)``; the whole
            raster if None.
    """
    width, height, _ = raster_size(path)
    col, row0, width, height = region or (0, 0, width, height)
    counts: Dict[int, int] = {}
    for row in range(row0, row0 + height, STRIP_ROWS):
        rows = min(STRIP_ROWS, row0 + height - row)
        raw, nodata = read_raster(path, [1], (col, row, width, rows),
                                  dtype=None)
        raw = raw[..., 0]
        if nodata is not None:
            raw = raw[~nodata]
        if raw.dtype.kind == 'f':
            raw = raw[raw == np.floor(raw)].astype(np.int64)
        for value, count in value_counts(raw).items():
            counts[value] = counts.get(value, 0) + count
    return counts
