"""What a converter accepts as labels, decided before anything is written.

A conversion knows its classes (a class table, ``--num-classes`` or the
indices of a label map) and checks every label value against them first:
a value that is not a class stops it with the file, each value and its
pixel count. A 0/255 (or 0/1/255) mask read without a label map is
ambiguous: 255 is the ignore value, so its pixels (the roads, the
buildings of a binary mask) would silently never be trained on. It is an
error that prints the ``--label-map`` to add, unless the user says that 255
means "no label" (``ignore_255``).
"""
from typing import Mapping, Optional, Sequence, Tuple

from .class_table import read_class_table
from .label_values import (IGNORE_INDEX, LabelMap, describe_values,
                           resolve_label_map, unmapped_message,
                           unmapped_values)


def classes_and_label_map(class_table: Optional[str] = None,
                          label_map_items: Optional[Sequence[str]] = None,
                          num_classes: Optional[int] = None
                          ) -> Tuple[Optional[dict], Optional[tuple], int]:
    """The label map, the class names and the class count of a conversion.

    Args:
        class_table (str, optional): A class table CSV (its ``value`` column
            is a label map).
        label_map_items (Sequence[str], optional): ``RAW=INDEX`` items.
        num_classes (int, optional): The class count, when there is no
            table.

    Returns:
        tuple: The label map (or None), the class names (or None) and the
        class count: the table's, ``num_classes``, or the label map's
        largest index + 1.

    Raises:
        ValueError: If nothing gives the class count, the table and
            ``num_classes`` disagree, or the label map is malformed or
            given twice.
    """
    table = read_class_table(class_table) if class_table else None
    label_map = resolve_label_map(label_map_items,
                                  table.label_map if table else None,
                                  class_table)
    if table is not None:
        if num_classes is not None and num_classes != len(table.classes):
            raise ValueError(f'--num-classes {num_classes}, but '
                             f'{class_table} has {len(table.classes)} '
                             'classes')
        return label_map, table.classes, len(table.classes)
    if num_classes is None and label_map:
        indices = [i for i in label_map.values() if i != IGNORE_INDEX]
        num_classes = max(indices) + 1 if indices else None
    if num_classes is None:
        raise ValueError('the classes are unknown: give --class-table (or '
                         '--num-classes), so that every label value is '
                         'checked before anything is written')
    if num_classes < 1:
        raise ValueError(f'--num-classes must be positive, got {num_classes}')
    return label_map, None, num_classes


def binary_mask_message(path: str, counts: Mapping[int, int],
                        label_map: Optional[LabelMap] = None,
                        ignore_255: bool = False) -> Optional[str]:
    """The error for a 0/255 or 0/1/255 mask read without a label map, or
    None if the labels are not such a mask (or the user said that 255 means
    "no label").

    Args:
        path (str): The label file.
        counts (Mapping[int, int]): Its value -> pixel count.
        label_map (LabelMap, optional): The conversion's label map.
        ignore_255 (bool): 255 means "no label" (ignored).
    """
    if (label_map is not None or ignore_255 or IGNORE_INDEX not in counts
            or not set(counts) <= {0, 1, IGNORE_INDEX}):
        return None
    values = sorted(v for v in counts if v != IGNORE_INDEX)
    mapping = ' '.join(f'{v}={v}' for v in values)
    mapping += f' {IGNORE_INDEX}={max(values, default=-1) + 1}'
    return (f'{path}: its values are {describe_values(counts)}: a binary '
            f'mask? {IGNORE_INDEX} is the ignore value, so without a label '
            f'map its {counts[IGNORE_INDEX]:,} px would never be trained '
            f'on. If {IGNORE_INDEX} is a class, add --label-map '
            f'{mapping.strip()}; if it means "no label", add --ignore-255. '
            'Nothing was written')


def check_label_counts(path: str, counts: Mapping[int, int],
                       label_map: Optional[LabelMap], num_classes: int,
                       ignore_255: bool = False,
                       unmapped: str = 'error') -> None:
    """Check a label file's values before anything is converted.

    Args:
        path (str): The label file (named in the errors).
        counts (Mapping[int, int]): Its value -> pixel count (nodata left
            out).
        label_map (LabelMap, optional): Raw value -> class index.
        num_classes (int): The class count.
        ignore_255 (bool): 255 in a mask without label map means "no
            label" (else a 0/255 mask is an error).
        unmapped (str): ``'error'``: values that are not classes stop the
            conversion; ``'ignore'``: they are ignored (and counted later).

    Raises:
        ValueError: Naming the file, the values and what to do.
    """
    bad = unmapped_values(counts, label_map, IGNORE_INDEX, num_classes)
    if bad and unmapped == 'error':
        raise ValueError(
            unmapped_message(path, bad, label_map, num_classes) +
            '; nothing was written (--unmapped ignore ignores them)')
    message = binary_mask_message(path, counts, label_map, ignore_255)
    if message:
        raise ValueError(message)
