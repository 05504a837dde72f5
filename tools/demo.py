"""The demo (``make demo``): SimCLR vs FALSE-SimCLR on a real scene.

    python tools/demo.py [--scene yell|raleigh] [--seeds 0 1 2]
        [--launcher fork|subprocess] [--jobs N]

Scenes (``data/demo/README.md`` says where they come from):

- ``yell`` (default, ``make demo``): NEON aerial RGB of Yellowstone at
  20 cm, tree / background from annotated crown boxes. Labelled 64 px
  patches of the training region (rows 0-543; 5% of them, 27, labelled), a
  validation region (rows 576-767, on which the recipe was chosen) and a
  held-out test region (rows 800-1235), each a whole tile evaluated by
  sliding window; pretraining sees rows 0-767 without labels, never the
  test region. Written to ``work_dirs/demo/``.
- ``raleigh``: the 5-band Landsat-7 scene at 28.5 m with a 7-class
  land-cover map; 64 px test patches of the held-out columns 320-488.
  Written to ``work_dirs/demo_raleigh/``.

Steps, all through the benchmark's stages (a finished stage is skipped, so
re-running continues where it stopped; the tools start from a fork server
that imports the stack once, see :mod:`false_plugin.benchmark.launchers`).
Every stage computes with one CPU thread, so the numbers do not depend on
the machine's core count; ``--jobs`` (default: one per CPU) methods and
seeds run alongside:

1. ``tools/dataset_converters/geotiff.py`` cuts the scene into the training
   patches and the test tiles; ``tools/make_split.py`` draws the labelled
   fraction.
2. The benchmark spec (``configs/demo/benchmark_<scene>.py``): SimCLR,
   FALSE-SimCLR (official and per-anchor selection) and a random-init
   encoder; pretraining, backbone extraction, frozen-encoder DeepLabV3+
   fine-tuning and test, for each seed; ``results.md`` and the plots.
3. ``predictions.png``: the test region in true colour, its labels and each
   method's prediction (first seed) of the whole region, by sliding
   windows as ``tools/predict.py`` does.
"""
import argparse
import glob
import os
import os.path as osp
import sys
import time
from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from false_plugin.benchmark import (  # noqa: E402
    Stage, build_launcher, finetune_dir, load_spec, run_benchmark, run_stage)
from false_plugin.datasets import read_class_table, read_raster  # noqa: E402
from false_plugin.engine.hooks.seg_visualization_hook import (  # noqa: E402
    colorize, stretch)

CONVERTER = 'tools/dataset_converters/geotiff.py'
#: CPU threads of every stage: the README's numbers are reproducible at a
#: fixed thread count (floating-point sums depend on it).
DEMO_THREADS = 1
Region = Tuple[int, int, int, int]  # col_off, row_off, width, height


@dataclass(frozen=True)
class DemoScene:
    """A demo scene and how it is cut.

    Attributes:
        image, label, classes: The scene, its label raster and class table.
        spec: The benchmark spec.
        work_dir: Where everything is written (the spec's configs read the
            data from ``work_dir/data``).
        patch: Patch size in pixels (training patches, sliding window).
        train_region: Where the training patches are cut (stride
            ``patch // 2``).
        fraction: Labelled share of the training patches.
        test_region: The held-out region.
        test_patches: Cut the test region into patches (else one whole
            tile, evaluated by sliding window).
        val_region: A validation region, whole, for choosing recipes.
        rgb_bands: 1-based bands shown as true colour.
    """
    image: str
    label: str
    classes: str
    spec: str
    work_dir: str
    patch: int
    train_region: Region
    fraction: float
    test_region: Region
    test_patches: bool = False
    val_region: Optional[Region] = None
    rgb_bands: Tuple[int, int, int] = (1, 2, 3)


SCENES = dict(
    yell=DemoScene(
        image='data/demo/neon_yell.tif',
        label='data/demo/neon_yell_trees.tif',
        classes='data/demo/classes_trees.csv',
        spec='configs/demo/benchmark_yell.py',
        work_dir='work_dirs/demo',
        patch=64,
        train_region=(0, 0, 1149, 544),
        fraction=0.05,
        val_region=(0, 576, 1149, 192),
        test_region=(0, 800, 1149, 436)),
    raleigh=DemoScene(
        image='data/demo/landsat_raleigh.tif',
        label='data/demo/landcover_raleigh.tif',
        classes='data/demo/classes.csv',
        spec='configs/demo/benchmark_raleigh.py',
        work_dir='work_dirs/demo_raleigh',
        patch=64,
        train_region=(0, 0, 288, 443),
        fraction=0.25,
        test_region=(320, 0, 169, 443),
        test_patches=True,
        rgb_bands=(3, 2, 1)))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--scene', choices=sorted(SCENES), default='yell')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--launcher',
        choices=['fork', 'subprocess'],
        help='how the tools start (default: fork where possible)')
    parser.add_argument(
        '--jobs',
        type=int,
        default=os.cpu_count() or 1,
        help='methods and seeds run alongside, one CPU thread each '
        '(default: one per CPU)')
    return parser.parse_args()


def data_stages(scene: DemoScene) -> List[Stage]:
    """Cutting the scene and drawing the labelled split, as stages."""
    data_root = osp.join(ROOT, scene.work_dir, 'data')
    common = ['--class-table', scene.classes]

    def cut(split: str, region: Region, *how: str) -> Stage:
        manifest = osp.join(data_root, f'manifest_{split}.csv')
        return Stage(
            f'cut the {split} split', 'data', [
                CONVERTER, scene.image, scene.label, data_root, '--split',
                split, '--region', *map(str, region), *how, *common
            ], osp.join(data_root, f'convert_{split}.log'),
            lambda: osp.exists(manifest))

    patch = ['--patch-size', str(scene.patch)]
    stages = [
        cut('train', scene.train_region, *patch, '--stride',
            str(scene.patch // 2))
    ]
    if scene.test_patches:
        stages.append(cut('test', scene.test_region, *patch))
    else:
        stages.append(cut('test_tiles', scene.test_region, '--whole'))
    if scene.val_region:
        stages.append(cut('val_tiles', scene.val_region, '--whole'))
    split = osp.join(data_root, 'splits',
                     f'train_{round(scene.fraction * 100)}pct.txt')
    stages.append(
        Stage('draw the labelled split', 'data', [
            'tools/make_split.py', data_root, '--suffix', '.tif',
            '--fractions', str(scene.fraction)
        ], osp.join(data_root, 'split.log'), lambda: osp.exists(split)))
    return stages


def test_region_raster(scene: DemoScene) -> str:
    """The test region of the scene as its own georeferenced GeoTIFF (the
    converter's whole tile where there is one)."""
    data_root = osp.join(ROOT, scene.work_dir, 'data')
    tiles = glob.glob(osp.join(data_root, 'img_dir', 'test_tiles', '*.tif'))
    if tiles:
        return tiles[0]
    import rasterio
    from rasterio.windows import Window, transform
    from false_plugin.datasets.patching import write_geotiff_atomically
    path = osp.join(data_root, 'test_region.tif')
    if not osp.exists(path):
        with rasterio.open(osp.join(ROOT, scene.image)) as src:
            profile = src.profile
        image, _ = read_raster(osp.join(ROOT, scene.image),
                               window=scene.test_region, dtype=None)
        write_geotiff_atomically(
            path, image, crs=profile['crs'], nodata=profile['nodata'],
            transform=transform(Window(*scene.test_region),
                                profile['transform']))
    return path


def predict_region(run_dir: str, region: str, patch: int) -> np.ndarray:
    """A fine-tuned model's map of the whole test region, predicted by
    sliding windows as ``tools/predict.py`` does (seamless, edges
    included; 255 where the scene is nodata)."""
    import torch
    from mmseg.apis import init_model
    from false_plugin.benchmark.stages import last_checkpoint
    from false_plugin.inference import ScenePredictor, predict_scene
    config, = glob.glob(osp.join(run_dir, '*.py'))
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model = init_model(config, last_checkpoint(run_dir),
                       device=device).eval()
    out = osp.join(run_dir, 'test_region_pred.tif')
    predict_scene(ScenePredictor(model, window=patch, overlap=patch // 2,
                                 batch_size=16), region, out, log=None)
    pred, _ = read_raster(out, [1], dtype='uint8')
    return pred[..., 0]


def prediction_figure(scene: DemoScene, spec, seed: int) -> str:
    """Test region: true colour | labels | each method's prediction."""
    table = read_class_table(osp.join(ROOT, scene.classes))
    image, nodata = read_raster(osp.join(ROOT, scene.image),
                                list(scene.rgb_bands), scene.test_region)
    label, _ = read_raster(osp.join(ROOT, scene.label), [1],
                           scene.test_region, 'uint8')
    valid = None if nodata is None else ~nodata  # None: nothing is nodata
    panels = [('true colour', stretch(image, valid)),
              ('labels', colorize(label[..., 0], table.palette))]
    fraction = next(iter(spec.finetune['fractions']))
    region = test_region_raster(scene)
    for method in spec.pretrain:
        run_dir = finetune_dir(spec.work_dir, method['name'], fraction, seed)
        panels.append((method['name'],
                       colorize(predict_region(run_dir, region, scene.patch),
                                table.palette)))

    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    height, width = label.shape[:2]
    wide = width > height  # panels stacked in a column when wide
    rows, cols = (len(panels), 1) if wide else (1, len(panels))
    size = ((8, len(panels) * (8 * height / width + 0.4)) if wide else
            (2.6 * len(panels), 4))
    fig, axes = plt.subplots(rows, cols, figsize=size)
    for ax, (title, panel) in zip(axes, panels):
        ax.imshow(panel, interpolation='nearest')
        ax.set_title(title, fontsize=8)
        ax.axis('off')
    names = [*table.classes, 'no data']
    handles = [
        plt.Rectangle((0, 0), 1, 1, color=np.array(c) / 255)
        for c in [*table.palette, (0, 0, 0)]
    ]
    fig.legend(handles, names, loc='lower center', ncol=len(names),
               fontsize=8)
    fig.suptitle(f'Held-out test region, seed {seed} (frozen encoder, '
                 f'{scene.fraction:.0%} of the training patches labelled)',
                 fontsize=9)
    path = osp.join(spec.work_dir, 'predictions.png')
    fig.savefig(path, dpi=110, bbox_inches='tight')
    plt.close(fig)
    return path


def main() -> None:
    args = parse_args()
    scene = SCENES[args.scene]
    start = time.time()
    os.chdir(ROOT)
    launcher = build_launcher(args.launcher, threads=DEMO_THREADS)
    try:
        print(f'[demo] {args.scene}: cutting the scene into training and '
              'test data', flush=True)
        for stage in data_stages(scene):
            if not stage.is_done():
                run_stage(stage, launcher)
        spec = load_spec(scene.spec, work_dir=scene.work_dir,
                         seeds=args.seeds)
        written = run_benchmark(spec, launcher=launcher, jobs=args.jobs)
    finally:
        launcher.close()
    with open(osp.join(spec.work_dir, 'results.md')) as f:
        print(f.read())
    figure = prediction_figure(scene, spec, args.seeds[0])
    print(f'[demo] written: {", ".join(written + [figure])}')
    print(f'[demo] finished in {(time.time() - start) / 60:.1f} min')


if __name__ == '__main__':
    main()
