"""Peak memory and throughput of whole-scene prediction against scene size.

    python tools/benchmarks/predict_memory.py [--sizes 2000 8000 16000]
        [--window 256] [--overlap 64] [--batch-size 8] [--device cpu]

For each size a synthetic 3-band uint8 scene (smooth fields plus noise,
256 px tiles, deflate) is written on the fly, then predicted in a fresh
process by :func:`false_plugin.inference.predict_scene` with a tiny
randomly initialised segmentor (a ResNet-18 of base width 8 and an FCN
head, 6 classes), probabilities included. The table gives that process's
peak resident memory (``ru_maxrss`` of the child) and the throughput in
megapixels/s: a flat memory column is what "bounded by the window batch"
means.
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MODEL = dict(
    type='EncoderDecoder',
    data_preprocessor=dict(type='SegDataPreProcessor', mean=[128.0] * 3,
                           std=[64.0] * 3),
    backbone=dict(type='ResNetV1c', depth=18, stem_channels=8,
                  base_channels=8, out_indices=(3, ),
                  norm_cfg=dict(type='BN')),
    decode_head=dict(type='FCNHead', in_channels=64, channels=16,
                     num_convs=1, num_classes=6, in_index=0,
                     norm_cfg=dict(type='BN'),
                     loss_decode=dict(type='CrossEntropyLoss')),
    test_cfg=dict(mode='whole'))


def write_scene(path: str, size: int) -> None:
    """A ``size`` x ``size`` 3-band tiled GeoTIFF, written in strips."""
    import cv2
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window
    rng = np.random.default_rng(size)
    with rasterio.open(path, 'w', driver='GTiff', width=size, height=size,
                       count=3, dtype='uint8', tiled=True, blockxsize=256,
                       blockysize=256, compress='deflate', crs='EPSG:32633',
                       transform=from_origin(500000, 6000000, 0.5,
                                             0.5)) as dst:
        for row in range(0, size, 1024):
            rows = min(1024, size - row)
            coarse = rng.uniform(40, 220, (rows // 64 + 2, size // 64 + 2, 3))
            strip = cv2.resize(coarse.astype(np.float32), (size, rows))
            strip += rng.normal(0, 8, strip.shape)
            dst.write(np.clip(strip, 0, 255).astype(np.uint8).transpose(
                2, 0, 1), window=Window(0, row, size, rows))


def child(args: argparse.Namespace) -> None:
    """Predict one scene; print the figures as JSON."""
    sys.path.insert(0, ROOT)
    import torch
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS

    import false_plugin  # noqa: F401
    from false_plugin.inference import ScenePredictor, predict_scene
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(MODEL).to(args.device).eval()
    predictor = ScenePredictor(model, window_size=args.window,
                               overlap=args.overlap,
                               batch_size=args.batch_size)
    out = args.child + '.classes.tif'
    stats = predict_scene(predictor, args.child, out,
                          probs_out=args.child + '.probs.tif',
                          log=lambda m: print(m, file=sys.stderr,
                                              flush=True))
    print(json.dumps(stats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', type=int, nargs='+',
                        default=[2000, 8000, 16000])
    parser.add_argument('--window', type=int, default=256)
    parser.add_argument('--overlap', type=int, default=64)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            scene = osp.join(folder, f'scene_{size}.tif')
            write_scene(scene, size)
            proc = subprocess.Popen(
                [sys.executable, __file__, '--child', scene, '--window',
                 str(args.window), '--overlap', str(args.overlap),
                 '--batch-size', str(args.batch_size), '--device',
                 args.device], stdout=subprocess.PIPE, text=True)
            stdout = proc.stdout.read()
            _, status, usage = os.wait4(proc.pid, 0)
            if status != 0:
                sys.exit(f'predict_memory: the {size} px scene failed')
            stats = json.loads(stdout.strip().splitlines()[-1])
            rows.append((size, usage.ru_maxrss / 1024, stats))
            for name in os.listdir(folder):
                os.remove(osp.join(folder, name))
    print(f'\nwindow {args.window}, overlap {args.overlap}, batch '
          f'{args.batch_size}, {args.device}, class map + probabilities:\n')
    print('| scene (px) | megapixels | peak RSS (MiB) | seconds | '
          'megapixels/s |')
    print('|---|---|---|---|---|')
    for size, rss, stats in rows:
        print(f'| {size:,} x {size:,} | {size * size / 1e6:,.0f} | '
              f'{rss:,.0f} | {stats["seconds"]:.1f} | '
              f'{stats["megapixels_per_second"]:.2f} |')


if __name__ == '__main__':
    main()
