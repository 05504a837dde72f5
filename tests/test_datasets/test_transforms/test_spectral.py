"""RSSpectralJitter: per-band or shared brightness / contrast draws;
RSSpectralJitter and RSGaussianBlur on any band count."""
import cv2
import numpy as np
import pytest

from false_plugin.datasets.transforms import RSGaussianBlur, RSSpectralJitter
from false_plugin.datasets.transforms.spectral import with_band_axis


def _factors(img, out):
    """Per band: contrast (std ratio) and brightness (mean ratio)."""
    flat_in, flat_out = img.reshape(-1, 5), out.reshape(-1, 5)
    return (flat_out.std(0) / flat_in.std(0),
            flat_out.mean(0) / flat_in.mean(0))


@pytest.mark.parametrize('per_band', [True, False])
def test_per_band_or_shared(per_band):
    np.random.seed(0)
    img = np.random.uniform(10, 200, (16, 16, 5)).astype(np.float32)
    jitter = RSSpectralJitter(brightness=0.4, contrast=0.4, prob=1.0,
                              per_band=per_band)
    out = jitter(dict(img=img.copy()))['img']
    assert out.dtype == np.float32 and out.shape == img.shape
    contrast, brightness = _factors(img, out)
    for factor in (contrast, brightness):
        assert ((0.6 <= factor) & (factor <= 1.4)).all()
        assert np.ptp(factor) > 1e-3 if per_band else np.ptp(factor) < 1e-5


def test_prob_zero_leaves_the_image():
    img = np.random.uniform(0, 1, (8, 8, 5)).astype(np.float32)
    out = RSSpectralJitter(prob=0.0)(dict(img=img.copy()))['img']
    np.testing.assert_array_equal(out, img)


@pytest.mark.parametrize('prob', [0.0, 1.0])
@pytest.mark.parametrize('transform', [RSSpectralJitter, RSGaussianBlur])
def test_one_band_without_its_axis(transform, prob):
    """cv2's resize returns a 1-band crop as ``(H, W)``: taken as one band,
    returned as ``(H, W, 1)`` whether the transform is applied or not."""
    np.random.seed(0)
    img = np.random.uniform(10, 200, (16, 16)).astype(np.float32)
    out = transform(prob=prob)(dict(img=img.copy()))['img']
    assert out.shape == (16, 16, 1) and out.dtype == np.float32
    if prob == 0.0:
        np.testing.assert_array_equal(out[..., 0], img)
    else:
        assert not np.array_equal(out[..., 0], img)


def test_blur_is_per_band_for_many_bands():
    np.random.seed(0)
    img = np.random.uniform(0, 1, (16, 16, 13)).astype(np.float32)
    out = RSGaussianBlur(sigma_range=(1.0, 1.0), prob=1.0)(
        dict(img=img.copy()))['img']
    assert out.shape == img.shape
    for band in (0, 12):
        np.testing.assert_allclose(
            out[..., band], cv2.GaussianBlur(img[..., band], (0, 0), 1.0))


def test_with_band_axis():
    assert with_band_axis(np.zeros((4, 5))).shape == (4, 5, 1)
    img = np.zeros((4, 5, 13))
    assert with_band_axis(img) is img
    with pytest.raises(ValueError, match=r'got shape \(4,\)'):
        with_band_axis(np.zeros(4))
