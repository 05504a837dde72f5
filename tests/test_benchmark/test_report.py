"""false_plugin.benchmark.report on hand-made numbers and logs."""
import json
import math

from false_plugin.benchmark.report import (BenchmarkReport, read_fns,
                                           read_fns_curves)


def _run(miou, iou_a):
    return dict(mIoU=miou, OA=80.0, Kappa=50.0, mF1=70.0,
                **{'IoU.a': iou_a, 'IoU.b': math.nan})


def _report(fns=None, fns_curves=None):
    metrics = {
        'SimCLR': {'1pct': {0: _run(60.0, 10.0), 1: _run(62.0, 20.0)}},
        'FALSE-SimCLR': {'1pct': {0: _run(61.0, 12.0), 1: _run(65.0, 20.0)}},
    }
    return BenchmarkReport(metrics, fns or {}, [0, 1],
                           {'1pct': 'splits/train_1pct.txt'},
                           [('FALSE-SimCLR', 'SimCLR')], 'seg.py', fns_curves)


def test_summary_and_paired_differences():
    report = _report()
    # mean (60 + 62) / 2 = 61, sample std sqrt(2); OA has no spread.
    assert report.summary['SimCLR']['1pct']['mIoU'] == dict(
        mean=61.0, std=math.sqrt(2), n=2)
    diff = report.differences['FALSE-SimCLR - SimCLR']['1pct']['mIoU']
    assert diff['values'] == [1.0, 3.0]
    assert (diff['mean'], diff['std']) == (2.0, math.sqrt(2))

    text = report.markdown()
    assert '| SimCLR | 61.00 ± 1.41 | 80.00 ± 0.00 | 50.00 ± 0.00 |' in text
    assert '| FALSE-SimCLR | 63.00 ± 2.83 |' in text
    assert ('| FALSE-SimCLR − SimCLR | +2.00 ± 1.41 | +0.00 ± 0.00 | '
            '+0.00 ± 0.00 | +0.00 ± 0.00 | 2/2 |') in text
    # Per-class IoU: a = 10, 20; b never present: n/a.
    assert '| method | a | b |' in text
    assert '| SimCLR | 15.00 ± 7.07 | n/a |' in text
    assert 'FNS diagnostics' not in text  # no pretraining logged any
    assert json.loads(json.dumps(report.to_dict()))['pairs'] == [
        ['FALSE-SimCLR', 'SimCLR']
    ]


def _false_logs(root):
    log = root / 'false' / '20260101_000000' / 'vis_data'
    log.mkdir(parents=True)
    (log / 'scalars.json').write_text(
        '{"loss": 4.1, "fnsd_num_calibrated": 1.0, "iter": 1, "step": 1}\n'
        '{"loss": 4.0, "fnsd_num_calibrated": 3.0, "fns_precision": 0.5, '
        '"fns_chance": 0.25, "iter": 2, "step": 2}\n'
        '{"fns_precision": 0.6, "fns_chance": 0.3, "iter": 3, "step": 3}\n')
    # A resumed run (from iteration 2) logs into a second timestamp dir.
    log2 = root / 'false' / '20260101_010000' / 'vis_data'
    log2.mkdir(parents=True)
    (log2 / 'scalars.json').write_text(
        '{"fnsd_num_calibrated": 5.0, "fns_precision": 0.75, "iter": 3, '
        '"step": 3}\n')
    return str(root / 'false')


def test_read_fns_curves(tmp_path):
    # The resumed run's iteration 3 replaces the interrupted run's.
    assert read_fns_curves(_false_logs(tmp_path)) == dict(
        fns_precision={2: 0.5, 3: 0.75}, fns_chance={2: 0.25, 3: 0.3})
    assert read_fns_curves(str(tmp_path / 'baseline')) == {}


def test_read_fns_and_its_table(tmp_path):
    # The last value wins, the per-batch means cover both runs.
    fns = read_fns(_false_logs(tmp_path))
    assert fns == dict(fns_precision=0.75, fns_chance=0.3,
                       fnsd_num_calibrated=3.0)
    assert read_fns(str(tmp_path / 'baseline')) == {}

    report = _report(fns={
        'SimCLR': {0: {}, 1: {}},
        'FALSE-SimCLR': {0: fns, 1: dict(fns, fns_precision=0.25)}
    })
    text = report.markdown().split('## FNS diagnostics')[1]
    assert ('| method | fns_precision | fns_chance | fnsd_num_calibrated |'
            in text)
    assert ('| FALSE-SimCLR | 0.50 ± 0.35 | 0.30 ± 0.00 | 3.00 ± 0.00 |'
            in text)
    assert '| SimCLR |' not in text
