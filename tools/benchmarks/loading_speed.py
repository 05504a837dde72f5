"""Loading speed: LoadRSImageFromFile against mmcv's LoadImageFromFile on
PNG patches, and windowed reads from a tiled against a striped GeoTIFF
(for the pretraining loader on many large tiles, see pretrain_loading.py).

    python tools/benchmarks/loading_speed.py [--num 300] [--size 256]
        [--rounds 3] [--scene 4096] [--windows 300]

Everything is made on the fly in a temporary folder: ``--num`` RGB PNG
patches of ``--size`` px (smooth fields with noise, so they compress like
imagery), and a 4-band uint16 scene of ``--scene`` px written twice
(deflate; 256 px tiles, and GDAL's default strips). Each loader reads every
patch once per round, in one process, rounds interleaved; the best round is
reported. mmcv's loader is timed as configs use it (uint8 BGR) and with
``to_float32=True`` (what ``LoadRSImageFromFile`` returns: float32, the
file's band order).
"""
import argparse
import os.path as osp
import tempfile
import time
from typing import Callable, Dict, List


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--num', type=int, default=300)
    parser.add_argument('--size', type=int, default=256)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--scene', type=int, default=4096)
    parser.add_argument('--windows', type=int, default=300)
    args = parser.parse_args(argv)
    for name in ('num', 'size', 'rounds', 'scene', 'windows'):
        if getattr(args, name) < 1:
            parser.error(f'--{name} must be at least 1, '
                         f'got {getattr(args, name)}')
    if args.scene <= args.size:
        parser.error(f'--scene must be larger than --size ({args.size}), '
                     f'got {args.scene}')
    return args


def best_rate(calls: Dict[str, Callable[[], None]], count: int,
              rounds: int) -> Dict[str, float]:
    """Items per second of each call (the best of interleaved rounds)."""
    best = {name: 0.0 for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            best[name] = max(best[name],
                             count / (time.perf_counter() - start))
    return best


def png_rates(folder: str, args: argparse.Namespace) -> Dict[str, float]:
    import cv2
    import numpy as np
    import rasterio
    from mmcv.transforms import LoadImageFromFile

    from false_plugin.datasets.transforms import LoadRSImageFromFile
    from false_plugin.speed.pretrain_loading import imagery

    rng = np.random.default_rng(0)
    paths: List[str] = []
    for i in range(args.num):
        paths.append(osp.join(folder, f'{i}.png'))
        cv2.imwrite(paths[-1], imagery(rng, 3, args.size))
    loaders = {
        'mmcv LoadImageFromFile': LoadImageFromFile(),
        'mmcv LoadImageFromFile(to_float32=True)':
        LoadImageFromFile(to_float32=True),
        'LoadRSImageFromFile': LoadRSImageFromFile(),
    }

    def through(loader):

        def call():
            for path in paths:  # one result alive at a time, as in a worker
                loader(dict(img_path=path))

        return call

    def gdal():
        for p in paths:
            with rasterio.open(p) as src:
                src.read()

    calls = {name: through(loader) for name, loader in loaders.items()}
    calls['GDAL PNG read (rasterio, for reference)'] = gdal
    return best_rate(calls, len(paths), args.rounds)


def window_rates(folder: str, args: argparse.Namespace) -> Dict[str, float]:
    import numpy as np
    import rasterio

    from false_plugin.datasets import read_raster
    from false_plugin.speed.pretrain_loading import imagery

    rng = np.random.default_rng(1)
    scene = imagery(rng, 4, args.scene, np.uint16).transpose(2, 0, 1)
    layouts = dict(tiled=dict(tiled=True, blockxsize=256, blockysize=256),
                   striped=dict())
    paths = {}
    for name, layout in layouts.items():
        paths[name] = osp.join(folder, f'{name}.tif')
        with rasterio.open(paths[name], 'w', driver='GTiff',
                           width=args.scene, height=args.scene, count=4,
                           dtype='uint16', compress='deflate',
                           **layout) as dst:
            dst.write(scene)
    size = args.size
    corners = rng.integers(0, args.scene - size, (args.windows, 2))

    def read(path):

        def call():
            for col, row in corners:
                read_raster(path, window=(int(col), int(row), size, size))

        return call

    return best_rate({f'{name} GeoTIFF': read(path)
                      for name, path in paths.items()}, args.windows,
                     args.rounds)


def main(argv=None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        pngs = png_rates(folder, args)
        windows = window_rates(folder, args)
    reference = pngs['mmcv LoadImageFromFile']
    print(f'\n{args.num} RGB PNG patches of {args.size} px, best of '
          f'{args.rounds} rounds, one process:\n')
    print('| loader | images/s | vs mmcv LoadImageFromFile |')
    print('|---|---|---|')
    for name, rate in pngs.items():
        print(f'| {name} | {rate:,.0f} | {rate / reference:.2f}x |')
    print(f'\n{args.windows} random {args.size} px windows of a 4-band '
          f'uint16 {args.scene} px scene (deflate), read_raster:\n')
    print('| layout | windows/s | vs striped |')
    print('|---|---|---|')
    for name, rate in windows.items():
        print(f'| {name} | {rate:,.0f} | '
              f'{rate / windows["striped GeoTIFF"]:.2f}x |')


if __name__ == '__main__':
    main()
