"""RSSpectralJitter: per-band or shared brightness / contrast draws."""
import numpy as np
import pytest

from false_plugin.datasets.transforms import RSSpectralJitter


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
