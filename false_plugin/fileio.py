"""Atomic writes: a reader never sees a half-written file.

Every writer of the package writes to a temporary file beside its target,
``NAME.part.EXT`` (the target's extension again, so GDAL and cv2 pick the
format from it), and renames it onto the target once the file is complete.
Code that looks for unfinished work (an interrupted conversion) finds the
temporaries by the ``.part`` infix: ``glob(NAME + '.part*')`` or
:func:`is_temporary`.

The prediction writer (:class:`false_plugin.inference.writer.SceneWriter`)
keeps its own temporaries: it commits several files together and cleans up
on a signal.
"""
import contextlib
import os
import os.path as osp
from typing import Iterator

#: The infix of a temporary name (``NAME.part.EXT``).
PART = '.part'


def temporary_path(path: str) -> str:
    """The temporary name of ``path``: ``path + '.part' + its extension``
    (``a.tif`` -> ``a.tif.part.tif``; ``a`` -> ``a.part``)."""
    return path + PART + osp.splitext(path)[1]


def is_temporary(path: str) -> bool:
    """Whether ``path`` is the temporary name of another path (as
    :func:`temporary_path` makes it)."""
    ext = osp.splitext(path)[1]
    if ext == PART:
        return True
    return path.endswith(PART + ext) and path[:-len(PART + ext)].endswith(ext)


@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yield the temporary name of ``path``; rename it onto ``path`` when the
    block ends, remove it when the block raises.

    Example:
        >>> with atomic_path('patch.tif') as tmp:
        ...     with rasterio.open(tmp, 'w', **profile) as dst:
        ...         dst.write(array)

    Args:
        path (str): The target. Its folder must exist.

    Yields:
        str: The temporary file to write (``path.part.EXT``).

    Raises:
        FileNotFoundError: If the block wrote nothing under the temporary
            name (the target is left as it was).
    """
    tmp = temporary_path(path)
    try:
        yield tmp
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise
    if not osp.exists(tmp):
        raise FileNotFoundError(f'{path}: nothing was written to {tmp}')
    os.replace(tmp, path)


def write_text_atomically(path: str, text: str,
                          encoding: str = 'utf-8') -> None:
    """Write ``text`` to ``path`` through :func:`atomic_path`.

    Args:
        path (str): The target. Its folder must exist.
        text (str): The whole content (written with ``newline=''``: line
            ends as they are in ``text``).
        encoding (str): The encoding. Defaults to UTF-8.
    """
    with atomic_path(path) as tmp:
        with open(tmp, 'w', encoding=encoding, newline='') as f:
            f.write(text)
