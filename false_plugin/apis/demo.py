"""The demo (``tools/demo.py``, ``make demo``) as a library: the demo
scenes, cutting them into training and test data, the benchmark on them and
the prediction figure.

Everything runs in the current directory, which must be the repository's
root: the scenes are read from ``data/demo/``, the benchmark specs from
``configs/demo/``, and the outputs go to ``work_dirs/``. Every step is a
benchmark stage (:class:`false_plugin.benchmark.Stage`): the converters and
the split run as their command line modules (``false_plugin_cli.geotiff``,
``.tile_folders``, ``.make_split``), forked from the benchmark's fork server.
"""
import glob
import os.path as osp
import time
from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np

from false_plugin.benchmark import (Stage, build_launcher, load_spec,
                                    run_benchmark, run_stage)
from false_plugin.datasets import read_class_table, read_raster
from false_plugin.visualization import colorize, stretch

#: The command line modules of the data stages.
CONVERTER = 'false_plugin_cli.geotiff'
FOLDER_CONVERTER = 'false_plugin_cli.tile_folders'
MAKE_SPLIT = 'false_plugin_cli.make_split'
Region = Tuple[int, int, int, int]  # col_off, row_off, width, height


@dataclass(frozen=True)
class DemoScene:
    """A demo scene and how it is cut.

    Attributes:
        image, label, classes: The scene, its label raster and class table;
            for a folder of tiles, the folder and None.
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
        folder_args: A folder of tiles: the arguments of
            ``tile_folders.py`` after the folder and the output dir (its
            splits are ``train``, ``val_tiles`` and ``test_tiles``; the
            regions are then unused).
        figure_tile: The test tile shown in the prediction figure (a stem
            of ``img_dir/test_tiles``); default: the first.
    """
    image: str
    label: Optional[str]
    classes: str
    spec: str
    work_dir: str
    patch: int
    train_region: Optional[Region]
    fraction: float
    test_region: Optional[Region]
    test_patches: bool = False
    val_region: Optional[Region] = None
    rgb_bands: Tuple[int, int, int] = (1, 2, 3)
    folder_args: Optional[Tuple[str, ...]] = None
    figure_tile: Optional[str] = None


SCENES = dict(
    dubai=DemoScene(
        image='data/demo/dubai_mbrsc',
        label=None,
        classes='data/demo/classes_dubai.csv',
        spec='configs/demo/benchmark_dubai.py',
        work_dir='work_dirs/demo_dubai',
        patch=64,
        train_region=None,
        fraction=0.05,
        test_region=None,
        folder_args=(
            '--images', 'Tile */images/*.jpg', '--mask-from', 'images/=masks/',
            '.jpg=.png', '--group', r'^Tile (\d+)/', '--split',
            'train=3,4,5,6', '--split', 'val_tiles=2', '--split',
            'test_tiles=1', '--whole', 'val_tiles', 'test_tiles',
            '--mask-colors', '--ignore-colors', 'unlabeled=155,155,155',
            'black=0,0,0', '--patch-size', '64', '--stride', '64',
            '--format', 'png'),
        figure_tile='Tile_1_images_image_part_009'),
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


def data_stages(scene: DemoScene) -> List[Stage]:
    """Cutting the scene and drawing the labelled split, as stages."""
    data_root = osp.abspath(osp.join(scene.work_dir, 'data'))
    common = ['--class-table', scene.classes]
    split = osp.join(data_root, 'splits',
                     f'train_{round(scene.fraction * 100)}pct.txt')
    draw = Stage('draw the labelled split', 'data', [
        MAKE_SPLIT, data_root, '--suffix',
        '.png' if scene.folder_args else '.tif', '--fractions',
        str(scene.fraction)
    ], osp.join(data_root, 'split.log'), lambda: osp.exists(split))
    if scene.folder_args:
        manifests = [osp.join(data_root, f'manifest_{s}.csv')
                     for s in ('train', 'val_tiles', 'test_tiles')]
        return [
            Stage('cut the tiles', 'data', [
                FOLDER_CONVERTER, scene.image, data_root, *common,
                *scene.folder_args
            ], osp.join(data_root, 'convert.log'),
                  lambda: all(map(osp.exists, manifests))), draw
        ]

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
    return stages + [draw]


def figure_tile(scene: DemoScene) -> Tuple[str, str, Optional[Region]]:
    """The image and label shown in the prediction figure, and the region
    of them shown (None: all of it)."""
    if scene.folder_args:
        data_root = osp.abspath(osp.join(scene.work_dir, 'data'))
        folder = osp.join(data_root, 'img_dir', 'test_tiles')
        images = sorted(glob.glob(osp.join(folder, '*')))
        stems = [osp.splitext(osp.basename(p))[0] for p in images]
        stem = scene.figure_tile or (stems[0] if stems else None)
        if stem not in stems:
            raise FileNotFoundError(f'{folder}: no test tile {stem}')
        name = osp.basename(images[stems.index(stem)])
        image = osp.join(folder, name)
        return (image, osp.join(data_root, 'ann_dir', 'test_tiles', name),
                None)
    return (osp.abspath(scene.image), osp.abspath(scene.label),
            scene.test_region)


def test_region_raster(scene: DemoScene) -> str:
    """The raster the prediction figure predicts: the test tile of a folder
    scene, else the test region as its own georeferenced GeoTIFF (the
    converter's whole tile where there is one)."""
    image, _, region = figure_tile(scene)
    if region is None:
        return image
    data_root = osp.abspath(osp.join(scene.work_dir, 'data'))
    tiles = glob.glob(osp.join(data_root, 'img_dir', 'test_tiles', '*.tif'))
    if tiles:
        return tiles[0]
    import rasterio
    from rasterio.windows import Window, transform
    from false_plugin.conversion.patching import write_geotiff_atomically
    path = osp.join(data_root, 'test_region.tif')
    if not osp.exists(path):
        with rasterio.open(image) as src:
            profile = src.profile
        pixels, _ = read_raster(image, window=region, dtype=None)
        write_geotiff_atomically(
            path, pixels, crs=profile['crs'], nodata=profile['nodata'],
            transform=transform(Window(*region), profile['transform']))
    return path


def predict_region(run_dir: str, region: str, patch: int) -> np.ndarray:
    """A fine-tuned model's map of the whole test region, predicted by
    sliding windows as ``tools/predict.py`` does (read as the run's config
    reads its test images; seamless, edges included; 255 where the scene
    is nodata)."""
    import torch
    from false_plugin.apis.predict import load_segmentor
    from false_plugin.models.checkpoints import last_checkpoint
    from false_plugin.inference import ScenePredictor, predict_scene
    config, = glob.glob(osp.join(run_dir, '*.py'))
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model = load_segmentor(config, last_checkpoint(run_dir), device)
    out = osp.join(run_dir, 'test_region_pred.tif')
    predictor = ScenePredictor.from_config(
        model, window_size=patch, overlap=patch // 2, batch_size=16)
    predict_scene(predictor, region, out, log=None)
    pred, _ = read_raster(out, [1], dtype='uint8')
    return pred[..., 0]


def prediction_figure(scene: DemoScene, spec, seed: int) -> str:
    """Test region: true colour | labels | each method's prediction."""
    table = read_class_table(scene.classes)
    image_path, label_path, region = figure_tile(scene)
    image, nodata = read_raster(image_path, list(scene.rgb_bands), region)
    label, _ = read_raster(label_path, [1], region, 'uint8')
    valid = None if nodata is None else ~nodata  # None: nothing is nodata
    panels = [('true colour', stretch(image, valid)),
              ('labels', colorize(label[..., 0], table.palette))]
    fraction = next(iter(spec.finetune['fractions']))
    region = test_region_raster(scene)
    for method in spec.pretrain:
        run_dir = spec.paths.finetune_dir(method['name'], fraction, seed)
        panels.append((method['name'],
                       colorize(predict_region(run_dir, region, scene.patch),
                                table.palette)))

    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    height, width = label.shape[:2]
    # A strip much wider than tall: one panel per row; else up to 4 a row.
    cols = 1 if width > 2 * height else min(4, len(panels))
    rows = -(-len(panels) // cols)
    panel_width = 8 if cols == 1 else 2.6
    fig, axes = plt.subplots(
        rows, cols, squeeze=False,
        figsize=(panel_width * cols,
                 rows * (panel_width * height / width + 0.4) + 0.6))
    for ax in axes.flat[len(panels):]:
        ax.axis('off')
    for ax, (title, panel) in zip(axes.flat, panels):
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
    shown = ('one tile of the held-out test area' if scene.folder_args
             else 'held-out test region')
    fig.suptitle(f'{shown.capitalize()}, seed {seed} (frozen encoder, '
                 f'{scene.fraction:.0%} of the training patches labelled)',
                 fontsize=9)
    path = osp.join(spec.paths.work_dir, 'predictions.png')
    fig.savefig(path, dpi=110, bbox_inches='tight')
    plt.close(fig)
    return path


def run_demo(scene_name: str,
             seeds: List[int],
             launcher_name: Optional[str] = None,
             threads: int = 1,
             jobs: int = 1,
             work_dir: Optional[str] = None) -> List[str]:
    """Cut the scene, run its benchmark, draw the prediction figure; prints
    ``results.md`` and what was written. The current directory must be the
    repository's root (``false_plugin_cli.demo`` checks it).

    Args:
        scene_name (str): One of :data:`SCENES`.
        seeds (list[int]): The seeds; the figure shows the first.
        launcher_name (str, optional): ``fork`` or ``subprocess``
            (:func:`false_plugin.benchmark.build_launcher`).
        threads (int): CPU threads of every stage.
        jobs (int): Methods and seeds run alongside.
        work_dir (str, optional): Where the runs go (default: the scene's;
            the data stay in the scene's).

    Returns:
        list[str]: The files written.
    """
    scene = SCENES[scene_name]
    start = time.time()
    launcher = build_launcher(launcher_name, threads=threads)
    try:
        print(f'[demo] {scene_name}: cutting the scene into training and '
              'test data', flush=True)
        for stage in data_stages(scene):
            if not stage.is_done():
                run_stage(stage, launcher)
        spec = load_spec(scene.spec,
                         work_dir=work_dir or scene.work_dir,
                         seeds=seeds)
        written = run_benchmark(spec, launcher=launcher, jobs=jobs)
    finally:
        launcher.close()
    with open(spec.paths.results_md) as f:
        print(f.read())
    figure = prediction_figure(scene, spec, seeds[0])
    print(f'[demo] written: {", ".join(written + [figure])}')
    print(f'[demo] finished in {(time.time() - start) / 60:.1f} min')
    return written + [figure]
