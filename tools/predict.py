"""Predict a whole scene with a segmentation model: a class map (COG) on the
input's exact grid.

    python tools/predict.py CONFIG CHECKPOINT IMAGE OUT_TIF [--window 256]
        [--overlap 64] [--batch-size 8] [--bands B ...] [--probs]
        [--device cpu|cuda] [--cfg-options KEY=VALUE ...]

Sliding windows over a GeoTIFF (or any GDAL raster) of any size, read a
batch at a time; each window keeps the centre of its overlaps with its
neighbours, so no seams show, and the last row and column of windows are
shifted inward so every pixel is predicted. OUT_TIF is uint8 class indices
with the input's width, height, CRS and transform, 255 (declared nodata)
wherever the input is nodata, tiled, compressed, with overviews and the
dataset palette as colour table. ``--probs`` also writes
``OUT_TIF`` with ``_probs`` before its suffix: one uint8 band per class,
probabilities scaled to 0-255. The bands and nodata value come from the
config's ``LoadRSImageFromFile`` unless ``--bands`` is given; checkpoints
load through the project's safe loader.
"""
import argparse
import os.path as osp
import sys

from mmengine.config import DictAction

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('image')
    parser.add_argument('out', help='the class map to write (GeoTIFF)')
    parser.add_argument('--window', type=int, default=256)
    parser.add_argument('--overlap', type=int, default=64)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--bands', type=int, nargs='+',
                        help='1-based bands (default: the config\'s)')
    parser.add_argument('--probs', action='store_true',
                        help='also write per-class probabilities')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    # Checked before the model loads: usage errors come at once.
    for name in ('window', 'batch_size'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be at least 1, '
                         f'got {getattr(args, name)}')
    if not 0 <= args.overlap < args.window:
        parser.error(f'--overlap must be in [0, --window) = [0, '
                     f'{args.window}), got {args.overlap}')
    for name in ('config', 'checkpoint', 'image'):
        if not osp.isfile(getattr(args, name)):
            parser.error(f'{name} {getattr(args, name)}: no such file')
    return args


def loader_settings(cfg) -> dict:
    """``bands`` and ``nodata_value`` of the test pipeline's loader."""
    pipeline = cfg.get('test_dataloader', {}).get('dataset', {}).get(
        'pipeline', [])
    for step in pipeline:
        if step.get('type') == 'LoadRSImageFromFile':
            return dict(bands=step.get('bands'),
                        nodata_value=step.get('nodata_value') or 0.0)
    return dict(bands=None, nodata_value=0.0)


def main() -> None:
    args = parse_args()
    # The stack after the arguments: --help and usage errors come at once.
    from mmengine.config import Config
    from mmseg.apis import init_model

    import false_plugin  # noqa: F401  (upstream fixes, registers parts)
    from false_plugin.inference import ScenePredictor, predict_scene
    from false_plugin.models.checkpoints import load_checkpoint
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    settings = loader_settings(cfg)
    model = init_model(cfg, device=args.device).eval()
    # Strict: a checkpoint of another model stops here, in one message.
    meta = load_checkpoint(model, args.checkpoint).get('meta', {})
    model.dataset_meta = meta.get('dataset_meta')
    predictor = ScenePredictor(model, args.bands or settings['bands'],
                               args.window, args.overlap, args.batch_size,
                               settings['nodata_value'])
    stem, suffix = osp.splitext(args.out)
    probs = f'{stem}_probs{suffix or ".tif"}' if args.probs else None
    palette = (model.dataset_meta or {}).get('palette')
    stats = predict_scene(predictor, args.image, args.out, palette, probs)
    print(f'[predict] wrote {args.out}' + (f' and {probs}' if probs else '')
          + f': {stats["seconds"]:.1f} s, '
          f'{stats["megapixels_per_second"]:.2f} megapixels/s')


if __name__ == '__main__':
    main()
