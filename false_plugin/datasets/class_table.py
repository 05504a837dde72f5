"""Class tables: ``name,index,r,g,b[,value]`` CSV files describing classes."""
import csv
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from ..fileio import atomic_path

HEADER = ['name', 'index', 'r', 'g', 'b']


class ClassTable(NamedTuple):
    """Class names and palette ordered by index, and the raw label values.

    ``label_map`` maps raw label values to class indices when the table has
    a ``value`` column (coded products: WorldCover ``10`` -> ``0``...), else
    it is None and the labels hold the indices themselves.
    """
    classes: Tuple[str, ...]
    palette: List[List[int]]
    label_map: Optional[Dict[int, int]] = None


def read_class_table(path: str) -> ClassTable:
    """Read a class table.

    The file is a CSV with the header ``name,index,r,g,b``, one row per
    class; indices must be 0..K-1 (any order) and are the class indices of
    the index label maps. An optional sixth column ``value`` gives the raw
    value(s) of each class in the source label raster, several separated by
    spaces (``111 112`` to merge two CORINE codes into one class).

    Args:
        path (str): The CSV file.

    Returns:
        ClassTable: Names, RGB palette, ordered by index, and the label map.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the header, a row, the set of indices or the raw
            values are wrong; the message names the file and the line.
    """
    with open(path, newline='', encoding='utf-8') as f:
        rows = list(csv.reader(f))
    header = [c.strip() for c in rows[0]] if rows else []
    if header not in (HEADER, HEADER + ['value']):
        raise ValueError(f'{path}: the first line must be "name,index,r,g,b" '
                         'or "name,index,r,g,b,value"')
    by_index = {}
    label_map = {} if len(header) == 6 else None
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        try:
            cells = [c.strip() for c in row]
            if len(cells) != len(header):
                raise ValueError
            name, index, r, g, b = cells[:5]
            index, rgb = int(index), [int(r), int(g), int(b)]
            values = ([int(v) for v in cells[5].split()]
                      if label_map is not None else [])
        except ValueError as err:
            raise ValueError(f'{path}, line {line}: expected '
                             f'{",".join(header)} with integers, got '
                             f'{row}') from err
        if index in by_index:
            raise ValueError(f'{path}, line {line}: index {index} repeated')
        if not all(0 <= v <= 255 for v in rgb):
            raise ValueError(f'{path}, line {line}: colour {rgb} not 0-255')
        if label_map is not None:
            if not values:
                raise ValueError(f'{path}, line {line}: no raw value')
            for value in values:
                if value in label_map:
                    raise ValueError(f'{path}, line {line}: raw value '
                                     f'{value} already given to class '
                                     f'{label_map[value]}')
                label_map[value] = index
        by_index[index] = (name, rgb)
    if sorted(by_index) != list(range(len(by_index))) or not by_index:
        raise ValueError(f'{path}: class indices must be 0..K-1, got '
                         f'{sorted(by_index)}')
    return ClassTable(
        classes=tuple(by_index[i][0] for i in range(len(by_index))),
        palette=[by_index[i][1] for i in range(len(by_index))],
        label_map=label_map)


def write_class_table(path: str,
                      classes: Sequence[Tuple[str, Sequence[int]]]) -> None:
    """Write a class table (``name,index,r,g,b``) that
    :func:`read_class_table` reads back; index = position.

    Args:
        path (str): The CSV file (written under a temporary name, then
            renamed).
        classes (Sequence[tuple]): ``[(name, (r, g, b)), ...]`` in index
            order.
    """
    with atomic_path(path) as tmp, open(tmp, 'w', newline='',
                                        encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for index, (name, rgb) in enumerate(classes):
            writer.writerow([name, index, *rgb])
