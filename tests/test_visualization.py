"""false_plugin.visualization: stretch and colorize against hand values."""
import numpy as np

from false_plugin.visualization import colorize, stretch


def test_colorize_uses_the_palette_and_blacks_out_ignored():
    label = np.array([[0, 1], [2, 255]], np.uint8)
    rgb = colorize(label, [(10, 20, 30), (40, 50, 60), (70, 80, 90)])
    assert rgb.dtype == np.uint8
    assert rgb.tolist() == [[[10, 20, 30], [40, 50, 60]],
                            [[70, 80, 90], [0, 0, 0]]]


def test_stretch_maps_percentiles_of_valid_pixels_per_band():
    # Band 0: 0..99 (uint16 values, as in imagery); band 1: constant.
    img = np.stack([np.arange(100).reshape(10, 10) * 10,
                    np.full((10, 10), 7)], axis=2).astype(np.uint16)
    valid = np.ones((10, 10), bool)
    valid[0, 0] = False  # nodata: black, and not in the percentiles
    out = stretch(img, valid, percentiles=(0, 100))
    assert out.dtype == np.uint8 and out.shape == (10, 10, 2)
    # Valid band-0 values span 10..990: 10 -> 0, 990 -> 255.
    assert out[0, 1, 0] == 0 and out[9, 9, 0] == 255
    assert out[5, 0, 0] == int((500 - 10) / 980 * 255)
    assert out[0, 0].tolist() == [0, 0]
    assert (out[..., 1] == 0).all()  # a flat band stays at its low end
