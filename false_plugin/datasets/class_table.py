"""Class tables: ``name,index,r,g,b`` CSV files describing label classes."""
import csv
from typing import List, NamedTuple, Tuple


class ClassTable(NamedTuple):
    """Class names and palette ordered by index."""
    classes: Tuple[str, ...]
    palette: List[List[int]]


def read_class_table(path: str) -> ClassTable:
    """Read a class table.

    The file is a CSV with the header ``name,index,r,g,b``, one row per
    class; indices must be 0..K-1 (any order) and are the label values of
    the index label maps.

    Args:
        path (str): The CSV file.

    Returns:
        ClassTable: Names and RGB palette, ordered by index.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If the header, a row, or the set of indices is wrong;
            the message names the file and the line.
    """
    with open(path, newline='', encoding='utf-8') as f:
        rows = list(csv.reader(f))
    if not rows or [c.strip() for c in rows[0]] != [
            'name', 'index', 'r', 'g', 'b'
    ]:
        raise ValueError(f'{path}: the first line must be "name,index,r,g,b"')
    by_index = {}
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        try:
            name, index, r, g, b = (c.strip() for c in row)
            index, rgb = int(index), [int(r), int(g), int(b)]
        except ValueError as err:
            raise ValueError(f'{path}, line {line}: expected name,index,r,g,b '
                             f'with integers, got {row}') from err
        if index in by_index:
            raise ValueError(f'{path}, line {line}: index {index} repeated')
        if not all(0 <= v <= 255 for v in rgb):
            raise ValueError(f'{path}, line {line}: colour {rgb} not 0-255')
        by_index[index] = (name, rgb)
    if sorted(by_index) != list(range(len(by_index))) or not by_index:
        raise ValueError(f'{path}: class indices must be 0..K-1, got '
                         f'{sorted(by_index)}')
    return ClassTable(
        classes=tuple(by_index[i][0] for i in range(len(by_index))),
        palette=[by_index[i][1] for i in range(len(by_index))])
