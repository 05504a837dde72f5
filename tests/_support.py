"""Helpers shared by the tests (importable because pytest.ini puts ``tests``
on ``sys.path``)."""
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional, Sequence

REPO_ROOT = str(Path(__file__).resolve().parents[1])


def free_port() -> int:
    """A TCP port on the loopback interface that is free right now."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def make_png_tiles(root, num: int = 8, size: int = 40) -> str:
    """Write ``num`` random RGB PNG tiles as ``root/a/<i>.png``.

    ``root/<class>/<image>.png`` is the layout ``mmcls.CustomDataset`` scans;
    the tiny pretraining configs read it.

    Returns:
        str: ``root``.
    """
    import cv2
    import numpy as np
    folder = Path(root) / 'a'
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(num):
        img = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
        cv2.imwrite(str(folder / f'{i}.png'), img)
    return str(root)


def run_repo_tool(args: Sequence[str],
                  env: Optional[Dict[str, str]] = None,
                  timeout: int = 600,
                  launcher: Sequence[str] = ()) -> subprocess.CompletedProcess:
    """Run a repository script with this interpreter from the repo root.

    A non-zero exit fails with the end of the script's output.

    Args:
        args: The script path and its arguments.
        env: Extra environment variables.
        timeout: Seconds before the run is killed.
        launcher: Interpreter arguments before the script (``-m torch...``).
    """
    full_env = dict(os.environ, **(env or {}))
    full_env['PYTHONPATH'] = REPO_ROOT + os.pathsep + full_env.get(
        'PYTHONPATH', '')
    proc = subprocess.run([sys.executable, *launcher, *args],
                          cwd=REPO_ROOT,
                          env=full_env,
                          capture_output=True,
                          text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(
            f'{" ".join(args)} exited {proc.returncode}\n'
            f'--- stdout ---\n{proc.stdout[-6000:]}\n'
            f'--- stderr ---\n{proc.stderr[-6000:]}')
    return proc


def write_tif(path, array, nodata=None, dtype=None) -> str:
    """Write ``(C, H, W)`` as a georeferenced GeoTIFF; returns the path."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    array = np.asarray(array)
    with rasterio.open(
            path, 'w', driver='GTiff', width=array.shape[2],
            height=array.shape[1], count=array.shape[0],
            dtype=dtype or array.dtype, nodata=nodata, crs='EPSG:32617',
            transform=from_origin(600000, 4000000, 30, 30)) as dst:
        dst.write(array)
    return str(path)
