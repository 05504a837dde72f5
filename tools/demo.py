"""The demo (``make demo``): SimCLR vs FALSE-SimCLR on a real Landsat scene.

    python tools/demo.py [--seeds 0 1 2]

Everything is written to ``work_dirs/demo/`` (the demo configs read the
patches from ``work_dirs/demo/data``).

1. Cuts the demo scene (``data/demo``) into 64 px patches with
   ``tools/dataset_converters/geotiff.py``: a training region (columns
   0-287) and a held-out test region (columns 320-488); no test patch
   overlaps a training patch, and the 32 px gap keeps them apart.
   ``tools/make_split.py`` draws the labelled fraction (25%) of the
   training patches. Pretraining draws unlabelled windows from the whole
   scene.
2. Runs ``tools/benchmark.py configs/demo/benchmark_raleigh.py``: SimCLR,
   FALSE-SimCLR (official and per-anchor selection) and a random-init
   encoder; pretraining, backbone extraction, frozen-encoder DeepLabV3+
   fine-tuning and test, for each seed. Finished stages are skipped.
3. Writes ``predictions.png``: the test region in true colour, its
   land-cover map and each method's prediction (first seed) of the whole
   region, by sliding windows as ``tools/predict.py`` does.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
import time

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path[:0] = [ROOT, osp.join(ROOT, 'tools')]

from false_plugin.benchmark import slug  # noqa: E402
from false_plugin.datasets import read_class_table, read_raster  # noqa: E402
from false_plugin.engine.hooks.seg_visualization_hook import (  # noqa: E402
    colorize, stretch)

IMAGE = 'data/demo/landsat_raleigh.tif'
LABEL = 'data/demo/landcover_raleigh.tif'
CLASSES = 'data/demo/classes.csv'
SPEC = 'configs/demo/benchmark_raleigh.py'
WORK_DIR = 'work_dirs/demo'
PATCH = 64
TRAIN_REGION = (0, 0, 288, 443)
TEST_REGION = (320, 0, 169, 443)
FRACTION = 0.25


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    return parser.parse_args()


def run(*args: str) -> None:
    env = dict(os.environ)
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=True)


def prepare_data(data_root: str) -> None:
    print('[demo] cutting the scene into training and test patches',
          flush=True)
    converter = 'tools/dataset_converters/geotiff.py'
    common = ['--patch-size', str(PATCH), '--class-table', CLASSES]
    run(converter, IMAGE, LABEL, data_root, '--split', 'train', '--stride',
        str(PATCH // 2), '--region', *map(str, TRAIN_REGION), *common)
    run(converter, IMAGE, LABEL, data_root, '--split', 'test', '--stride',
        str(PATCH), '--region', *map(str, TEST_REGION), *common)
    run('tools/make_split.py', data_root, '--suffix', '.tif', '--fractions',
        str(FRACTION))


def test_region_raster(work_dir: str) -> str:
    """The test region of the scene as its own georeferenced GeoTIFF."""
    import rasterio
    from rasterio.windows import Window, transform
    from false_plugin.datasets.patching import write_geotiff_atomically
    path = osp.join(work_dir, 'data', 'test_region.tif')
    if not osp.exists(path):
        with rasterio.open(osp.join(ROOT, IMAGE)) as src:
            profile = src.profile
        image, _ = read_raster(osp.join(ROOT, IMAGE), window=TEST_REGION,
                               dtype=None)
        write_geotiff_atomically(
            path, image, crs=profile['crs'], nodata=profile['nodata'],
            transform=transform(Window(*TEST_REGION), profile['transform']))
    return path


def predict_region(run_dir: str, region: str) -> np.ndarray:
    """A fine-tuned model's map of the whole test region, predicted by
    sliding windows as ``tools/predict.py`` does (seamless, edges
    included; 255 where the scene is nodata)."""
    import glob
    from mmseg.apis import init_model
    from false_plugin.inference import ScenePredictor, predict_scene
    config, = glob.glob(osp.join(run_dir, '*.py'))
    with open(osp.join(run_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    import torch
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model = init_model(config, checkpoint, device=device).eval()
    out = osp.join(run_dir, 'test_region_pred.tif')
    predict_scene(ScenePredictor(model, window=PATCH, overlap=PATCH // 2,
                                 batch_size=16), region, out, log=None)
    pred, _ = read_raster(out, [1], dtype='uint8')
    return pred[..., 0]


def prediction_figure(work_dir: str, seed: int) -> str:
    """Test region: true colour | land cover | each method's prediction."""
    from mmengine.config import Config
    spec = Config.fromfile(osp.join(ROOT, SPEC))
    palette = read_class_table(osp.join(ROOT, CLASSES)).palette
    col0, row0, width, height = TEST_REGION
    image, nodata = read_raster(osp.join(ROOT, IMAGE), [3, 2, 1],
                                TEST_REGION)
    label, _ = read_raster(osp.join(ROOT, LABEL), [1], TEST_REGION, 'uint8')
    panels = [('true colour (3-2-1)', stretch(image, ~nodata)),
              ('land cover', colorize(label[..., 0], palette))]
    fraction = next(iter(spec.finetune['fractions']))
    region = test_region_raster(work_dir)
    for method in spec.pretrain:
        run_dir = osp.join(work_dir, 'finetune', slug(method['name']),
                           fraction, f'seed{seed}')
        panels.append((method['name'],
                       colorize(predict_region(run_dir, region), palette)))

    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 4))
    for ax, (title, panel) in zip(axes, panels):
        ax.imshow(panel, interpolation='nearest')
        ax.set_title(title, fontsize=8)
        ax.axis('off')
    names = [*read_class_table(osp.join(ROOT, CLASSES)).classes,
             'no data']
    handles = [
        plt.Rectangle((0, 0), 1, 1, color=np.array(c) / 255)
        for c in [*palette, (0, 0, 0)]
    ]
    fig.legend(handles, names, loc='lower center', ncol=len(names),
               fontsize=8)
    fig.suptitle(f'Held-out test region, seed {seed} (frozen encoder, '
                 f'{FRACTION:.0%} of the training patches labelled)',
                 fontsize=9)
    path = osp.join(work_dir, 'predictions.png')
    fig.savefig(path, dpi=110, bbox_inches='tight')
    plt.close(fig)
    return path


def main() -> None:
    args = parse_args()
    start = time.time()
    prepare_data(osp.join(WORK_DIR, 'data'))
    run('tools/benchmark.py', SPEC, '--work-dir', WORK_DIR, '--seeds',
        *map(str, args.seeds))
    figure = prediction_figure(osp.join(ROOT, WORK_DIR), args.seeds[0])
    print(f'[demo] predictions: {figure}')
    print(f'[demo] finished in {(time.time() - start) / 60:.1f} min')


if __name__ == '__main__':
    main()
