"""Whole-scene prediction: window layout, and tools/predict.py on the real
5-band Landsat scene of the demo (random weights: the grid, nodata, format
and coverage are what is tested, not accuracy)."""
import os.path as osp

import numpy as np
import pytest
import rasterio
from _support import (REPO_ROOT, SEGMENTOR_PALETTE,
                      random_segmentor_checkpoint, run_repo_tool, write_tif)

from false_plugin.inference import owned_spans, window_offsets

CONFIG = 'configs/demo/deeplabv3plus_r18-d8_frozen-1xb8-200it_raleigh.py'
SCENE = osp.join(REPO_ROOT, 'data', 'demo', 'landsat_raleigh.tif')


@pytest.mark.parametrize('length,window,overlap', [(489, 64, 16),
                                                   (443, 64, 0), (64, 64, 8),
                                                   (30, 64, 8), (300, 256,
                                                                 64)])
def test_windows_cover_every_pixel_once(length, window, overlap):
    offsets = window_offsets(length, window, overlap)
    assert offsets[0] == 0
    assert offsets[-1] == max(length - window, 0)  # shifted inward
    spans = owned_spans(offsets, length, window)
    owned = np.zeros(length, int)
    for offset, (start, end) in zip(offsets, spans):
        assert offset <= start < end <= offset + window
        owned[start:end] += 1
    assert (owned == 1).all()
    if len(offsets) > 1 and overlap:
        # The seam sits in the middle of an overlap, away from both edges.
        start, end = spans[0]
        assert end - offsets[1] >= overlap // 2 - 1


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """Random DeepLabV3+ weights for the demo config, saved as mmengine
    does (state_dict + meta with the dataset's palette)."""
    path = random_segmentor_checkpoint(
        osp.join(REPO_ROOT, CONFIG),
        str(tmp_path_factory.mktemp('ckpt') / 'random.pth'),
        [f'c{i}' for i in range(7)])
    return path, SEGMENTOR_PALETTE


def test_predict_real_scene(tmp_path, checkpoint):
    ckpt, palette = checkpoint
    out = str(tmp_path / 'raleigh_classes.tif')
    proc = run_repo_tool(['tools/predict.py', CONFIG, ckpt, SCENE, out,
                          '--window', '64', '--overlap', '16',
                          '--batch-size', '16', '--probs'])
    assert 'megapixels/s' in proc.stdout
    with rasterio.open(SCENE) as src:
        grid = (src.width, src.height, src.crs, src.transform)
        nodata = (src.read() == src.nodata).any(axis=0)
    with rasterio.open(out) as dst:
        assert (dst.width, dst.height, dst.crs, dst.transform) == grid
        assert dst.count == 1 and dst.dtypes[0] == 'uint8'
        assert dst.nodata == 255
        assert dst.profile['tiled'] and dst.compression.name == 'deflate'
        assert dst.overviews(1)  # a COG: tiled, compressed, overviews
        assert dst.colormap(1)[3][:3] == tuple(palette[3])
        classes = dst.read(1)
    assert nodata.any()
    assert (classes[nodata] == 255).all()
    assert (classes[~nodata] < 7).all()  # every valid pixel predicted
    probs_path = str(tmp_path / 'raleigh_classes_probs.tif')
    with rasterio.open(probs_path) as p:
        assert p.count == 7 and p.transform == grid[3]
        probs = p.read()
    total = probs.astype(int).sum(0)[~nodata]
    assert np.abs(total - 255).max() <= 4  # rounded probabilities
    assert (probs[:, nodata] == 0).all()


@pytest.fixture(scope='module')
def predictor(checkpoint):
    """The same model, in this process (the CLI is tested above)."""
    from mmseg.apis import init_model

    from false_plugin.inference import ScenePredictor
    model = init_model(osp.join(REPO_ROOT, CONFIG), checkpoint[0],
                       device='cpu').eval()
    return ScenePredictor.from_config(model, window_size=64, overlap=16)


def test_scene_smaller_than_the_window(tmp_path, predictor):
    from false_plugin.inference import predict_scene
    small = write_tif(tmp_path / 'small.tif', np.random.default_rng(0)
                      .uniform(50, 120, (5, 40, 50)).astype(np.float32))
    out = str(tmp_path / 'small_classes.tif')
    predict_scene(predictor, small, out, log=None)
    with rasterio.open(out) as dst:
        assert (dst.width, dst.height) == (50, 40)
        assert (dst.read(1) < 7).all()


def test_wrong_band_count_names_the_file(tmp_path, predictor):
    from false_plugin.datasets import RasterReadError
    from false_plugin.inference import predict_scene
    rgb = write_tif(tmp_path / 'rgb.tif', np.zeros((3, 40, 40), np.uint8))
    with pytest.raises(RasterReadError,
                       match=r'rgb.tif: 3 band\(s\) would be read \(all of '
                       r'3\), the model takes 5'):
        predict_scene(predictor, rgb, str(tmp_path / 'x.tif'), log=None)
    assert not osp.exists(tmp_path / 'x.tif')


def test_failed_prediction_leaves_no_map(tmp_path, predictor, monkeypatch):
    from false_plugin.inference import predict_scene
    scene = write_tif(tmp_path / 'scene.tif', np.full((5, 40, 90), 80,
                                                      np.float32))

    def broken(images):
        raise RuntimeError('out of memory')

    monkeypatch.setattr(predictor, 'logits', broken)
    with pytest.raises(RuntimeError, match='out of memory'):
        predict_scene(predictor, scene, str(tmp_path / 'map.tif'), log=None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['scene.tif']


def test_nodata_class_is_the_ignore_index_with_a_warning():
    """The predicted map's "no prediction" class is the ignore index; its old
    name still works, with a FutureWarning."""
    import false_plugin.inference as inference
    from false_plugin import deprecation
    from false_plugin.datasets.label_values import IGNORE_INDEX
    deprecation._warned.discard('false_plugin.inference.NODATA_CLASS')
    with pytest.warns(FutureWarning, match='NODATA_CLASS is deprecated: use '
                      'false_plugin.datasets.label_values.IGNORE_INDEX'):
        assert inference.NODATA_CLASS == IGNORE_INDEX == 255
    with pytest.raises(AttributeError, match='NO_SUCH_NAME'):
        inference.NO_SUCH_NAME  # noqa: B018
