"""Helpers shared by the tests (importable because pytest.ini's
``pythonpath`` names ``tests``)."""
import contextlib
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence

REPO_ROOT = str(Path(__file__).resolve().parents[1])


def free_port() -> int:
    """A TCP port on the loopback interface that is free right now."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def logged_warnings() -> Iterator[List[str]]:
    """The messages (WARNING and above) mmengine's current logger logs
    inside the block, in a list filled as they come."""
    from mmengine.logging import MMLogger
    messages = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: messages.append(record.getMessage())
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


#: The palette :func:`random_segmentor_checkpoint` saves (7 classes).
SEGMENTOR_PALETTE = [[i * 30, 255 - i * 30, 100] for i in range(7)]


def random_segmentor_checkpoint(config: str, path: str,
                                classes: Sequence[str]) -> str:
    """Random weights of ``config``'s segmentation model saved at ``path``
    as mmengine saves a checkpoint (``state_dict``, and a ``meta`` with the
    class names and :data:`SEGMENTOR_PALETTE`); returns ``path``."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmseg.registry import MODELS
    cfg = Config.fromfile(config)
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(
                        classes=tuple(classes),
                        palette=SEGMENTOR_PALETTE))), path)
    return path


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


#: The heavy modules a command line must not import before it has checked its
#: arguments (``--help`` and usage errors come at once).
STACK = ('torch', 'numpy', 'mmengine', 'false_plugin')

#: ``-c`` code: ``false_plugin_cli.<argv[2]>.main(argv[3:])`` with the
#: modules named in ``argv[1]`` (comma-separated) unimportable.
_MAIN_WITHOUT = ('import importlib, sys\n'
                 'for name in sys.argv[1].split(","):\n'
                 '    sys.modules[name] = None\n'
                 'module = importlib.import_module("false_plugin_cli." '
                 '+ sys.argv[2])\n'
                 'module.main(sys.argv[3:])')


def run_cli_without_stack(command: str, *args: str,
                          blocked: Sequence[str] = STACK,
                          **kwargs) -> subprocess.CompletedProcess:
    """Run ``false_plugin_cli.<command>.main(args)`` in a new interpreter
    where the ``blocked`` modules cannot be imported: a command line that
    imports one of them (before or after its checks) fails.

    Args:
        command (str): The module of :mod:`false_plugin_cli`.
        *args (str): The command line's arguments.
        blocked (Sequence[str]): Modules made unimportable.
        **kwargs: Passed to :func:`run_repo_tool` (a non-zero exit raises
            ``AssertionError`` with the output).
    """
    return run_repo_tool([','.join(blocked), command, *args],
                         launcher=['-c', _MAIN_WITHOUT], **kwargs)


def read_bands(path):
    """A raster's ``(C, H, W)`` array (patches without georeference: no
    warning)."""
    import warnings

    import rasterio
    from rasterio.errors import NotGeoreferencedWarning
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', NotGeoreferencedWarning)
        with rasterio.open(path) as src:
            return src.read()


def read_manifest(out, split):
    """The rows of a converter's ``manifest_<split>.csv``, as dicts."""
    import csv
    with open(os.path.join(out, f'manifest_{split}.csv'), newline='') as f:
        return list(csv.DictReader(f))


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


#: Colours of the 3 classes (soil, water, tree) of :func:`write_seg_tiles`.
SEG_PALETTE = [(200, 150, 0), (0, 0, 255), (0, 128, 0)]


def write_seg_tiles(root) -> None:
    """An RSSegDataset root for ``tests/configs/deeplabv3plus_r18_tiny.py``:
    32 px RGB GeoTIFF tiles of 8 px blocks of 3 classes, each class its own
    colour (:data:`SEG_PALETTE`) plus noise (learnable in a few
    iterations); ``img_dir``/``ann_dir`` with 4 ``train`` and 2 ``test``
    tiles, ``classes.csv`` and ``splits/train_half.txt`` (2 tiles)."""
    import numpy as np
    rng = np.random.default_rng(0)
    for split, num in (('train', 4), ('test', 2)):
        for kind in ('img_dir', 'ann_dir'):
            os.makedirs(os.path.join(root, kind, split))
        for i in range(num):
            label = np.kron(rng.integers(0, 3, (4, 4)),
                            np.ones((8, 8), int)).astype(np.uint8)
            img = np.asarray(SEG_PALETTE, float)[label].transpose(2, 0, 1)
            img = np.clip(img + rng.normal(0, 20, img.shape), 0, 255)
            write_tif(os.path.join(root, 'img_dir', split, f'p{i}.tif'),
                      img.astype(np.uint8))
            write_tif(os.path.join(root, 'ann_dir', split, f'p{i}.tif'),
                      label[None])
    with open(os.path.join(root, 'classes.csv'), 'w') as f:
        f.write('name,index,r,g,b\n' + ''.join(
            f'{name},{i},{r},{g},{b}\n'
            for i, (name, (r, g, b)) in enumerate(
                zip(('soil', 'water', 'tree'), SEG_PALETTE))))
    os.makedirs(os.path.join(root, 'splits'))
    with open(os.path.join(root, 'splits', 'train_half.txt'), 'w') as f:
        f.write('p0\np2\n')


#: The mask colours of the Dubai MBRSC set: its five classes in the order of
#: ``data/demo/classes_dubai.csv`` (building, land, road, vegetation, water),
#: then Unlabeled (#9B9B9B) and the stray black (#000000), both no class.
DUBAI_COLORS = ((60, 16, 152), (132, 41, 246), (110, 193, 228),
                (254, 221, 58), (226, 169, 41), (155, 155, 155), (0, 0, 0))
DUBAI_CLASS_TABLE = ('name,index,r,g,b\n' + ''.join(
    f'{name},{i},{r},{g},{b}\n' for i, (name, (r, g, b)) in enumerate(zip(
        ('building', 'land', 'road', 'vegetation', 'water'), DUBAI_COLORS))))
#: Colour codes (positions in :data:`DUBAI_COLORS`) of the ignored colours.
UNLABELED, BLACK = 5, 6
#: Pixel value -> colour code of a paletted mask, in an order of its own as
#: in Dubai's Tile 2 (land first; white is in the palette, on no pixel).
PALETTE_ORDER = (1, 2, 0, UNLABELED, 3, 4, BLACK)


def write_dubai_tiles(root, parts, size=(70, 45), paletted=(), seed=0):
    """Tiles in the Dubai MBRSC layout, with random classes.

    Writes ``root/Tile T/images/image_part_00N.jpg`` (random RGB JPEG) and
    ``root/Tile T/masks/image_part_00N.png`` (RGB colour mask; a one-band
    paletted PNG for the parts in ``paletted``). Every mask has a 3 x 4 block
    of Unlabeled at rows 2-4, columns 3-6 and a 2 x 5 block of black at rows
    10-11, columns 40-44; 2 x 5 more Unlabeled pixels lie in the bottom
    rows and 2 x 4 more black ones in the right columns 66-69, outside every
    32 px patch of a 70 x 45 tile.

    Args:
        root: The source folder.
        parts (dict): Tile number -> its number of parts.
        size (tuple): ``(width, height)`` of every part.
        paletted (Sequence[tuple]): ``(tile, part)`` of the paletted masks.
        seed (int): Of the random classes and pixels.

    Returns:
        dict: Image path relative to ``root`` -> ``(H, W)`` colour codes
        (positions in :data:`DUBAI_COLORS`).
    """
    import cv2
    import numpy as np
    from PIL import Image
    width, height = size
    rng = np.random.default_rng(seed)
    colors = np.array(DUBAI_COLORS, np.uint8)
    codes_of = {}
    for tile, count in parts.items():
        for folder in ('images', 'masks'):
            (Path(root) / f'Tile {tile}' / folder).mkdir(parents=True)
        for part in range(1, count + 1):
            image = f'Tile {tile}/images/image_part_{part:03d}.jpg'
            mask = Path(root) / image.replace('images/', 'masks/').replace(
                '.jpg', '.png')
            codes = rng.integers(0, 5, (height, width)).astype(np.uint8)
            codes[2:5, 3:7] = UNLABELED
            codes[10:12, 40:45] = BLACK
            codes[height - 2:, :5] = UNLABELED
            codes[:2, width - 4:] = BLACK
            pixels = rng.integers(0, 256, (height, width, 3), np.uint8)
            cv2.imwrite(str(Path(root) / image), pixels)
            if (tile, part) in paletted:
                lut = np.argsort(PALETTE_ORDER).astype(np.uint8)
                png = Image.fromarray(lut[codes], mode='P')
                png.putpalette([v for c in PALETTE_ORDER
                                for v in DUBAI_COLORS[c]] + [255] * 3)
                png.save(mask)
            else:
                cv2.imwrite(str(mask), colors[codes][..., ::-1])
            codes_of[image] = codes
    return codes_of


# The three FALSE algorithms, tiny (ResNet-18, 16-d projections), as
# test_false_algorithms.py builds them and test_cuda.py steps them on a GPU.
BACKBONE = dict(type='ResNet', depth=18, in_channels=3, out_indices=[4],
                norm_cfg=dict(type='BN'))
HEAD = dict(type='ContrastiveHead', loss=dict(type='mmcls.CrossEntropyLoss'),
            temperature=0.2)
FNCC = dict(confidence_weight=1.0, positive_threshold=-1.0)

MODELS_CFG = {
    'FALSESimCLR':
    dict(
        type='FALSESimCLR',
        backbone=BACKBONE,
        neck=dict(type='NonLinearNeck', in_channels=512, hid_channels=32,
                  out_channels=16, num_layers=2, with_avg_pool=True,
                  norm_cfg=dict(type='BN1d')),
        head=HEAD,
        fn_loss=FNCC),
    'FALSEMoCo':
    dict(
        type='FALSEMoCo',
        queue_len=16,
        feat_dim=16,
        backbone=BACKBONE,
        neck=dict(type='MoCoV2Neck', in_channels=512, hid_channels=32,
                  out_channels=16, with_avg_pool=True),
        head=HEAD,
        fn_loss=FNCC),
    'FALSEDenseCL':
    dict(
        type='FALSEDenseCL',
        queue_len=16,
        feat_dim=16,
        backbone=BACKBONE,
        neck=dict(type='DenseCLNeck', in_channels=512, hid_channels=32,
                  out_channels=16, num_grid=None),
        head=HEAD,
        fn_loss=FNCC),
}
