"""``predict.py``'s outputs: existing files refused or replaced as asked,
folders created, errors naming the user's paths, no temporaries after an
error or SIGTERM, all-nodata scenes announced, and the rasters described
(class names, probability scale, nodata). Random weights on the demo's
5-band config: what is tested is the handling, not accuracy."""
import ctypes
import glob
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import rasterio
from _support import REPO_ROOT, random_segmentor_checkpoint, write_tif

CONFIG = osp.join(REPO_ROOT, 'configs', 'demo',
                  'deeplabv3plus_r18-d8_frozen-1xb8-200it_raleigh.py')
PRETRAIN_CONFIG = osp.join(REPO_ROOT, 'tests', 'configs',
                           'simclr_resnet18_tiny.py')
CLASSES = tuple(f'class {i}' for i in range(7))
CLI = [sys.executable, '-m', 'false_plugin_cli.predict']


def run_cli(args, **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    return subprocess.run([*CLI, *map(str, args)], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=300,
                          **kwargs)


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """Random DeepLabV3+ weights for the demo config, with class names and
    palette in the meta as mmengine saves them."""
    return random_segmentor_checkpoint(
        CONFIG, str(tmp_path_factory.mktemp('ckpt') / 'random.pth'),
        CLASSES)


def scene(path, size=(50, 40), nan_rows=0) -> str:
    """A 5-band float scene, NaN in its first ``nan_rows`` rows."""
    pixels = np.random.default_rng(0).uniform(
        50, 120, (5, size[1], size[0])).astype(np.float32)
    pixels[:, :nan_rows] = np.nan
    return write_tif(path, pixels)


def listing(folder) -> list:
    return sorted(p.name for p in folder.iterdir())


def gdal_band_info(path: str) -> tuple:
    """GDAL's own view of band 1 (category names, attribute table rows),
    through the libgdal rasterio is linked with."""
    lib_dir = osp.join(osp.dirname(osp.dirname(rasterio.__file__)),
                       'rasterio.libs')
    found = glob.glob(osp.join(lib_dir, 'libgdal*'))
    if not found:
        pytest.skip('rasterio is not a wheel with its own libgdal')
    gdal = ctypes.CDLL(found[0])
    gdal.GDALAllRegister()
    gdal.GDALOpen.restype = ctypes.c_void_p
    gdal.GDALOpen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    gdal.GDALGetRasterBand.restype = ctypes.c_void_p
    gdal.GDALGetRasterBand.argtypes = [ctypes.c_void_p, ctypes.c_int]
    gdal.GDALGetRasterCategoryNames.restype = ctypes.POINTER(
        ctypes.c_char_p)
    gdal.GDALGetRasterCategoryNames.argtypes = [ctypes.c_void_p]
    gdal.GDALGetDefaultRAT.restype = ctypes.c_void_p
    gdal.GDALGetDefaultRAT.argtypes = [ctypes.c_void_p]
    gdal.GDALRATGetRowCount.argtypes = [ctypes.c_void_p]
    gdal.GDALRATGetValueAsString.restype = ctypes.c_char_p
    gdal.GDALRATGetValueAsString.argtypes = [ctypes.c_void_p, ctypes.c_int,
                                             ctypes.c_int]
    gdal.GDALClose.argtypes = [ctypes.c_void_p]
    handle = gdal.GDALOpen(path.encode(), 0)
    assert handle, path
    try:
        band = gdal.GDALGetRasterBand(handle, 1)
        rat = gdal.GDALGetDefaultRAT(band)  # GTiff: loads the .aux.xml
        names, raw = [], gdal.GDALGetRasterCategoryNames(band)
        while raw and raw[len(names)] is not None:
            names.append(raw[len(names)].decode())
        rows = [] if not rat else [
            gdal.GDALRATGetValueAsString(rat, i, 1).decode()
            for i in range(gdal.GDALRATGetRowCount(rat))]
    finally:
        gdal.GDALClose(handle)
    return names, rows


def test_outputs_described_and_folder_created(tmp_path, checkpoint):
    from false_plugin.apis.predict import predict
    image = scene(tmp_path / 'scene.tif', nan_rows=5)
    out = tmp_path / 'new' / 'folder' / 'map.tif'
    probs = tmp_path / 'new' / 'folder' / 'map_probs.tif'
    stats = predict(CONFIG, checkpoint, image, str(out), str(probs),
                    window_size=32, overlap=8, log=None)
    assert stats['nodata_pixels'] == 5 * 50
    assert listing(out.parent) == ['map.tif', 'map.tif.aux.xml',
                                   'map_probs.tif']
    names, rows = gdal_band_info(str(out))
    assert tuple(names) == CLASSES and tuple(rows) == CLASSES
    with rasterio.open(out) as dst:
        classes = dst.read(1)
    assert (classes[:5] == 255).all() and (classes[5:] < 7).all()
    with rasterio.open(probs) as p:
        assert p.descriptions == tuple(f'probability of {c}'
                                       for c in CLASSES)
        assert p.scales == (1 / 255, ) * 7 and p.offsets == (0.0, ) * 7
        mask = p.dataset_mask()
        values = p.read()
    assert (mask[:5] == 0).all() and (mask[5:] == 255).all()
    assert abs(values[:, 5:].sum(0).astype(int) - 255).max() <= 4


def test_existing_outputs_refused_without_overwrite(tmp_path):
    """Usage errors (exit 2) before the stack loads, naming the file."""
    image = scene(tmp_path / 'scene.tif')
    (tmp_path / 'map.tif').write_text('an earlier map')
    proc = run_cli([CONFIG, CONFIG, image, tmp_path / 'map.tif'])
    assert proc.returncode == 2
    assert f'error: out {tmp_path}/map.tif: exists; give --overwrite' \
        in proc.stderr
    os.remove(tmp_path / 'map.tif')
    (tmp_path / 'map_probs.tif').write_text('earlier probabilities')
    proc = run_cli([CONFIG, CONFIG, image, tmp_path / 'map.tif'])
    assert proc.returncode == 2
    assert (f'{tmp_path}/map_probs.tif: probabilities of an earlier run, '
            'which would not match the new map); give --overwrite') \
        in proc.stderr
    (tmp_path / 'file').write_text('')
    proc = run_cli([CONFIG, CONFIG, image, tmp_path / 'file' / 'map.tif'])
    assert proc.returncode == 2
    assert f'{tmp_path}/file is not a folder' in proc.stderr
    assert listing(tmp_path) == ['file', 'map_probs.tif', 'scene.tif']


def test_overwrite_removes_an_older_probability_file(tmp_path, checkpoint):
    from false_plugin.apis.predict import predict
    image = scene(tmp_path / 'scene.tif')
    # An earlier run's outputs, and the temporary a SIGKILL left behind.
    for name in ('map.tif', 'map.tif.aux.xml', 'map_probs.tif',
                 'map.tif.part.tif'):
        (tmp_path / name).write_text('from an earlier run')
    with pytest.raises(FileExistsError, match='map.tif: exists'):
        predict(CONFIG, checkpoint, image, str(tmp_path / 'map.tif'),
                log=None)
    predict(CONFIG, checkpoint, image, str(tmp_path / 'map.tif'),
            window_size=32, overlap=8, overwrite=True,
            replaces=[str(tmp_path / 'map_probs.tif')], log=None)
    assert listing(tmp_path) == ['map.tif', 'map.tif.aux.xml', 'scene.tif']
    assert 'earlier' not in (tmp_path / 'map.tif.aux.xml').read_text()


def test_unwritable_output_names_the_users_path(tmp_path):
    from false_plugin.inference import SceneWriter
    image = scene(tmp_path / 'scene.tif')
    (tmp_path / 'file').write_text('')
    out = str(tmp_path / 'file' / 'map.tif')
    with pytest.raises(OSError, match=f'^{out}: cannot be written') as err:
        SceneWriter(image, out)
    assert '.part' not in str(err.value)


def test_all_nodata_scene_is_announced_not_predicted(tmp_path, checkpoint,
                                                     monkeypatch):
    from mmseg.apis import init_model

    from false_plugin.inference import ScenePredictor, predict_scene
    model = init_model(CONFIG, checkpoint, device='cpu').eval()
    predictor = ScenePredictor.from_config(model, window_size=32,
                                           overlap=8)

    def no_forward(images):
        raise AssertionError('a window of nodata went through the model')

    monkeypatch.setattr(predictor, 'logits', no_forward)
    image = scene(tmp_path / 'scene.tif', nan_rows=40)
    logs = []
    stats = predict_scene(predictor, image, str(tmp_path / 'map.tif'),
                          probs_out=str(tmp_path / 'probs.tif'),
                          log=logs.append)
    assert stats['nodata_pixels'] == stats['pixels'] == 2000
    assert (f'warning: {image}: every pixel is nodata (bands all: '
            'declared nodata, NaN or masked); nothing was predicted') \
        in logs[-1]
    with rasterio.open(tmp_path / 'map.tif') as dst:
        assert (dst.read(1) == 255).all()


def test_predictor_reads_nodata_as_the_config(tmp_path, checkpoint):
    """The loader of the config's test pipeline (``nodata_value=0`` in the
    demo config) fills declared nodata; a config without it keeps the
    file's values, as in training."""
    from mmengine.config import Config
    from mmseg.apis import init_model

    from false_plugin.inference import PixelWindow, ScenePredictor
    pixels = np.full((5, 8, 8), 70, np.uint16)
    pixels[:, :2] = 9999
    image = write_tif(tmp_path / 'scene.tif', pixels, nodata=9999)
    model = init_model(CONFIG, checkpoint, device='cpu').eval()
    window = PixelWindow(0, 0, 8, 8)
    filled = ScenePredictor.from_config(model).read(image, window)
    assert (filled['img'][:2] == 0).all() and filled['nodata_mask'][:2].all()
    cfg = Config.fromfile(CONFIG)
    cfg.test_dataloader.dataset.pipeline[0].nodata_value = None
    kept = ScenePredictor.from_config(model, cfg).read(image, window)
    assert (kept['img'][:2] == 9999).all()
    assert (kept['img'][2:] == 70).all()


def test_pretraining_config_is_named(tmp_path, checkpoint):
    from false_plugin.apis.config_check import ConfigError
    from false_plugin.apis.predict import predict
    image = scene(tmp_path / 'scene.tif')
    with pytest.raises(ConfigError,
                       match=f'^{PRETRAIN_CONFIG}: is a pretraining config '
                       r'\(model SimCLR'):
        predict(PRETRAIN_CONFIG, checkpoint, image,
                str(tmp_path / 'map.tif'), log=None)
    assert listing(tmp_path) == ['scene.tif']


def test_sigterm_leaves_no_temporaries_and_keeps_the_old_map(
        tmp_path, checkpoint):
    image = scene(tmp_path / 'scene.tif', size=(900, 900))
    out = tmp_path / 'map.tif'
    out.write_text('an earlier map')
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    proc = subprocess.Popen(
        [*CLI, CONFIG, checkpoint, image, str(out), '--window', '64',
         '--overlap', '16', '--probs', '--overwrite'],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    part = tmp_path / 'map.tif.part.tif'
    deadline = time.time() + 120
    while not part.exists() and proc.poll() is None:
        assert time.time() < deadline, 'predict.py never started writing'
        time.sleep(0.1)
    time.sleep(1)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr[-2000:]
    assert listing(tmp_path) == ['map.tif', 'scene.tif']
    assert out.read_text() == 'an earlier map'
