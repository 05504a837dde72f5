"""Windows per second and peak memory of the pretraining loader on many
large tiles (the library of ``tools/benchmarks/pretrain_loading.py``).

The loader is the real one:
:class:`~false_plugin.datasets.RSTileSamplingDataset`
(``LoadRSImageFromFile`` then ``PackSelfSupInputs``, no augmentation, so
that reading is what is timed), :class:`~false_plugin.datasets.RSWindowSampler`
(shuffled) and a torch ``DataLoader`` with mmengine's ``pseudo_collate``.
Each measurement runs in a fresh Python process (:func:`measure`), so its
peak resident memory (``VmHWM``) and that of its largest dataloader worker
(from ``/proc``) are its own.
"""
import json
import math
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional, Sequence

import numpy as np

#: Band count and dtype of each kind of tile.
KINDS = {'rgb8': (3, 'uint8'), 'uint16x4': (4, 'uint16')}

#: rasterio creation options of each layout (deflate for all).
LAYOUTS = {
    'tiled': dict(tiled=True, blockxsize=256, blockysize=256),
    'striped': dict(tiled=False),  # GDAL's default strips
}


def imagery(rng: np.random.Generator, bands: int, size: int,
            dtype: str = 'uint8') -> np.ndarray:
    """``(size, size, bands)``: smooth fields plus noise, which compress
    like imagery."""
    import cv2
    coarse = rng.uniform(0, 1, (size // 32 + 1, size // 32 + 1, bands))
    smooth = cv2.resize(coarse.astype(np.float32), (size, size),
                        interpolation=cv2.INTER_CUBIC).reshape(
                            size, size, bands)
    top = np.iinfo(dtype).max * 0.8
    noisy = smooth * top + rng.normal(0, top * 0.03,
                                      (size, size, bands)).astype(np.float32)
    return np.clip(noisy, 0, np.iinfo(dtype).max).astype(dtype)


def write_tiles(folder: str, count: int, size: int, kind: str,
                layout: str) -> List[str]:
    """``count`` tiles of ``size`` px in ``folder``, written once.

    Tile ``i`` of a kind holds the same pixels in every layout. A tile
    already there (readable, with the expected size, band count, dtype and
    layout) is kept; a new one is written under a temporary name, then
    renamed.

    Returns:
        list: The paths, tile 0 first.
    """
    import rasterio

    # Here, not at the top: measure() runs this file as a script, outside
    # the package (so that a rasterio measurement imports no stack).
    from ..fileio import atomic_path
    bands, dtype = KINDS[kind]
    os.makedirs(folder, exist_ok=True)
    paths = []
    for i in range(count):
        path = osp.join(folder, f'{kind}_{layout}_{size}px_{i:02d}.tif')
        paths.append(path)
        if _tile_ok(path, size, bands, dtype, layout):
            continue
        pixels = imagery(np.random.default_rng([i, bands]), bands, size,
                         dtype).transpose(2, 0, 1)
        with atomic_path(path) as tmp, rasterio.open(
                tmp, 'w', driver='GTiff', width=size, height=size,
                count=bands, dtype=dtype, compress='deflate',
                **LAYOUTS[layout]) as dst:
            dst.write(pixels)
    return paths


def _tile_ok(path: str, size: int, bands: int, dtype: str,
             layout: str) -> bool:
    import rasterio
    if not osp.exists(path):
        return False
    try:
        with rasterio.open(path) as src:
            tiled = src.block_shapes[0][1] < src.width
            return (src.width == src.height == size and src.count == bands
                    and src.dtypes[0] == dtype
                    and tiled == (layout == 'tiled'))
    except rasterio.errors.RasterioError:
        return False


def measure(task: dict, timeout: float = 900) -> dict:
    """Run one measurement (:func:`run_task`) in a fresh Python process.

    Args:
        task (dict): ``what`` (``'loader'`` or ``'rasterio'``) and the
            arguments of :func:`time_loader` or :func:`time_rasterio`.

    Returns:
        dict: The measurement, with ``main_peak_mb`` (the process's peak
        resident memory), ``start_mb`` (its resident memory before the
        first read, the imports only) and ``worker_peak_mb`` (the largest
        dataloader worker's peak, read from ``/proc`` after each batch;
        0 without workers).
    """
    env = dict(os.environ)
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    env['PYTHONPATH'] = os.pathsep.join(
        [root] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p])
    proc = subprocess.run(
        [sys.executable, osp.abspath(__file__)],  # not -m: no package import
        input=json.dumps(task), capture_output=True, text=True, env=env,
        timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f'measurement {task} failed:\n{proc.stderr}')
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_task(task: dict) -> dict:
    """One measurement in this process (what :func:`measure` runs)."""
    task = dict(task)
    what = task.pop('what')
    if what == 'loader':  # the imports count in start_mb, not in the reads
        import false_plugin  # noqa: F401
        import mmselfsup.registry  # noqa: F401
    import rasterio  # noqa: F401
    start_mb = _rss_mb('VmRSS')
    if what == 'loader':
        result = time_loader(**task)
    elif what == 'rasterio':
        result = time_rasterio(**task)
    else:
        raise ValueError(f'unknown measurement {what!r}')
    result.setdefault('worker_peak_mb', 0.0)
    result.update(start_mb=start_mb, main_peak_mb=_rss_mb('VmHWM'))
    return result


def time_loader(paths: Sequence[str], patch_size: int = 48,
                num_windows: int = 2048, workers: int = 0,
                cache: bool = False, windows_per_site: int = 1,
                site_size: Optional[int] = None, batch_size: int = 64,
                max_seconds: float = 30.0, seed: int = 0) -> dict:
    """Milliseconds per window of the pretraining loader over ``paths``.

    The first batch (workers starting, files opening) is timed apart; the
    others until ``num_windows`` windows or ``max_seconds`` have passed.
    With ``windows_per_site > 1`` the sampler interleaves ``batch_size *
    max(1, workers)`` sites a round, as ``tools/train.py`` sets it.

    Returns:
        dict: ``ms_per_window``, ``windows`` (timed), ``first_batch_s`` and
        ``build_s`` (building the dataset: valid masks, layout checks).
    """
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import DefaultScope
    from mmselfsup.registry import DATA_SAMPLERS, DATASETS
    from torch.utils.data import DataLoader

    import false_plugin  # noqa: F401  (registers the parts)
    sites_per_round = batch_size * max(1, workers)
    per_round = sites_per_round * windows_per_site
    num_samples = num_windows + batch_size
    if windows_per_site > 1:  # whole rounds
        num_samples = math.ceil(num_samples / per_round) * per_round
    start = time.perf_counter()
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        dataset = DATASETS.build(dict(
            type='RSTileSamplingDataset', img_files=list(paths),
            patch_size=patch_size, num_samples=num_samples, seed=seed,
            windows_per_site=windows_per_site, site_size=site_size,
            pipeline=[
                dict(type='LoadRSImageFromFile', cache=cache),
                dict(type='PackSelfSupInputs', meta_keys=['img_path'])
            ]))
        sampler = DATA_SAMPLERS.build(
            dict(type='RSWindowSampler', shuffle=True, seed=seed,
                 sites_per_round=sites_per_round),
            default_args=dict(dataset=dataset))
    build_s = time.perf_counter() - start
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler,
                        num_workers=workers, collate_fn=pseudo_collate)
    batches = iter(loader)
    start = time.perf_counter()
    next(batches)
    first_batch_s = time.perf_counter() - start
    windows = 0
    worker_peak_mb = 0.0
    start = time.perf_counter()
    for batch in batches:
        windows += len(batch['data_samples'])
        # Workers' peak memory, read while they run (torch's iterator keeps
        # its worker processes in ``_workers``; they stop at the end).
        for worker in getattr(batches, '_workers', []):
            worker_peak_mb = max(worker_peak_mb, _rss_mb('VmHWM', worker.pid))
        if time.perf_counter() - start > max_seconds:
            break
    elapsed = time.perf_counter() - start
    del batches
    return dict(ms_per_window=1e3 * elapsed / windows, windows=windows,
                first_batch_s=first_batch_s, build_s=build_s,
                worker_peak_mb=worker_peak_mb)


def time_rasterio(paths: Sequence[str], patch_size: int = 48,
                  num_windows: int = 2048, keep_open: bool = True,
                  max_seconds: float = 30.0, seed: int = 0) -> dict:
    """Milliseconds per window of plain rasterio windowed reads (all
    bands, the file's dtype), tile ``k % len(paths)`` for window ``k`` at
    a random position, files kept open or opened for each read."""
    import rasterio
    from rasterio.windows import Window
    rng = np.random.default_rng(seed)
    files: Dict[str, Optional[rasterio.DatasetReader]] = {}
    sizes = []
    for path in paths:
        with rasterio.open(path) as src:
            sizes.append((src.width, src.height))
    windows = 0
    start = time.perf_counter()
    for k in range(num_windows):
        path = paths[k % len(paths)]
        width, height = sizes[k % len(paths)]
        window = Window(int(rng.integers(0, width - patch_size + 1)),
                        int(rng.integers(0, height - patch_size + 1)),
                        patch_size, patch_size)
        if keep_open:
            if path not in files:
                files[path] = rasterio.open(path)
            files[path].read(window=window)
        else:
            with rasterio.open(path) as src:
                src.read(window=window)
        windows += 1
        if time.perf_counter() - start > max_seconds:
            break
    elapsed = time.perf_counter() - start
    return dict(ms_per_window=1e3 * elapsed / windows, windows=windows)


def measure_matrix(folder: str, size: int, tile_counts: Sequence[int],
                   kinds: Sequence[str], layouts: Sequence[str],
                   workers: Sequence[int], caches: Sequence[bool],
                   sites: Sequence[int] = (1, ), site_size: Optional[int] = None,
                   **timing) -> List[dict]:
    """Every loader and rasterio measurement of the benchmark's table.

    For each kind and layout, the tiles are written (once) to ``folder``;
    then plain rasterio (files kept open, and opened for each read, in one
    process) and the loader with each cache setting, windows a site and
    worker count are measured, each over every tile count in turn.

    Args:
        sites (Sequence[int]): ``windows_per_site`` values of the loader.
        site_size (int, optional): Their ``site_size``.
        timing: ``patch_size``, ``num_windows``, ``max_seconds``.

    Returns:
        list: One dict per measurement: ``kind``, ``layout``, ``tiles``,
        ``reader`` (``'loader'``, ``'loader, cache=True'``, ``'loader, 16
        windows a site'``, ``'rasterio, files kept open'``, ``'rasterio,
        open per read'``), ``workers`` and the figures of :func:`measure`.
    """
    readers = [('rasterio, files kept open', 0, dict(
        what='rasterio', keep_open=True)), ('rasterio, open per read', 0,
                                            dict(what='rasterio',
                                                 keep_open=False))]
    for cache in caches:
        for per_site in sites:
            for num_workers in workers:
                name = 'loader' + (', cache=True' if cache else '') + (
                    f', {per_site} windows a site' if per_site > 1 else '')
                readers.append((name, num_workers, dict(
                    what='loader', workers=num_workers, cache=cache,
                    windows_per_site=per_site, site_size=site_size)))
    rows = []
    for kind in kinds:
        for layout in layouts:
            paths = write_tiles(folder, max(tile_counts), size, kind, layout)
            # The tile counts of a reader one after the other: the ratios
            # between them are measured under the same machine load.
            for reader, num_workers, task in readers:
                for count in tile_counts:
                    rows.append(dict(
                        kind=kind, layout=layout, tiles=count,
                        reader=reader, workers=num_workers,
                        **measure(dict(task, paths=paths[:count],
                                       **timing))))
    return rows


def format_table(rows: Sequence[dict]) -> str:
    """A Markdown table of :func:`measure_matrix`'s rows, with each row's
    time per window against the same reader's with the fewest tiles."""
    fewest = {}
    for row in rows:
        key = (row['kind'], row['layout'], row['reader'], row['workers'])
        if key not in fewest or row['tiles'] < fewest[key]['tiles']:
            fewest[key] = row
    lines = [
        '| tiles | kind | layout | reader | workers | ms / window | '
        'windows / s | vs fewest tiles | main peak RSS (MB) | '
        'worker peak RSS (MB) | RSS after imports (MB) |',
        '|---|---|---|---|---|---|---|---|---|---|---|'
    ]
    for row in rows:
        base = fewest[(row['kind'], row['layout'], row['reader'],
                       row['workers'])]
        lines.append(
            f"| {row['tiles']} | {row['kind']} | {row['layout']} | "
            f"{row['reader']} | {row['workers']} | "
            f"{row['ms_per_window']:.3f} | "
            f"{1e3 / row['ms_per_window']:,.0f} | "
            f"{row['ms_per_window'] / base['ms_per_window']:.2f}x | "
            f"{row['main_peak_mb']:,.0f} | {row['worker_peak_mb']:,.0f} | "
            f"{row['start_mb']:,.0f} |")
    return '\n'.join(lines)


def _rss_mb(field: str, pid: Optional[int] = None) -> float:
    """``VmRSS`` or ``VmHWM`` of a process (this one by default) in MB,
    from Linux's ``/proc``."""
    try:
        with open(f'/proc/{pid or "self"}/status') as f:
            for line in f:
                if line.startswith(field + ':'):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:  # a worker that has just stopped
        pass
    return 0.0


if __name__ == '__main__':
    print(json.dumps(run_task(json.loads(sys.stdin.read()))))
