"""false_plugin.benchmark.plots: the figures of a hand-made report."""
import math

import cv2
import numpy as np

from false_plugin.benchmark.plots import mean_curve, plot_fns, plot_report
from false_plugin.benchmark.report import BenchmarkReport

CURVES = {
    'FALSE-SimCLR': {
        0: dict(fns_precision={1: 0.4, 2: 0.6, 3: 0.7},
                fns_chance={1: 0.5, 2: 0.5, 3: 0.5}),
        1: dict(fns_precision={1: 0.6, 2: 0.8},
                fns_chance={1: 0.3, 2: 0.5}),
    },
    'SimCLR': {0: {}, 1: {}},  # no FNSPrecisionHook
}


def _report(fns_curves=None):
    def run(miou):
        return dict(mIoU=miou, OA=80.0, Kappa=50.0, mF1=70.0,
                    **{'IoU.a': miou, 'IoU.b': math.nan})

    metrics = {
        'SimCLR': {'1pct': {0: run(60.0), 1: run(62.0)}},
        'FALSE-SimCLR': {'1pct': {0: run(61.0), 1: run(65.0)}},
    }
    return BenchmarkReport(metrics, {}, [0, 1], {'1pct': 'split.txt'},
                           [('FALSE-SimCLR', 'SimCLR')], 'seg.py',
                           fns_curves)


def test_mean_curve_over_seeds():
    # Iterations both seeds logged; the mean of their values.
    steps, values = mean_curve(CURVES['FALSE-SimCLR'], 'fns_precision')
    assert steps.tolist() == [1, 2]
    np.testing.assert_allclose(values, [0.5, 0.7])
    steps, values = mean_curve(CURVES['SimCLR'], 'fns_precision')
    assert steps.size == values.size == 0


def test_plots(tmp_path):
    paths = plot_report(_report(), str(tmp_path))
    # No method logged FNS precision: no FNS figure.
    assert [p.split('/')[-1] for p in paths] == ['miou.png',
                                                 'per_class_iou.png']
    assert plot_fns(_report(), str(tmp_path / 'fns.png')) is None
    assert not (tmp_path / 'fns.png').exists()
    paths = plot_report(_report(CURVES), str(tmp_path))
    assert [p.split('/')[-1] for p in paths] == [
        'miou.png', 'per_class_iou.png', 'fns_precision.png'
    ]
    for path in paths:
        image = cv2.imread(path)
        assert image is not None and min(image.shape[:2]) > 100
    assert list(_report(CURVES).fns_curves) == ['FALSE-SimCLR']
