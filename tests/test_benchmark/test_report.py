"""false_plugin.benchmark.report on hand-made numbers and logs."""
import json
import math

import pytest

from false_plugin.benchmark.report import (BenchmarkReport, current_name,
                                           read_fns, read_fns_curves)


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
    # Runs without support.* (an older RSSegMetric): the metric's own means.
    report = _report()
    assert report.class_set == dict(classes=None, runs=4,
                                    runs_without_support=4)
    # mean (60 + 62) / 2 = 61, sample std sqrt(2); OA has no spread.
    assert report.summary['SimCLR']['1pct']['mIoU'] == dict(
        mean=61.0, std=math.sqrt(2), n=2)
    diff = report.differences['FALSE-SimCLR - SimCLR']['1pct']['mIoU']
    assert diff['values'] == [1.0, 3.0]
    assert (diff['mean'], diff['std']) == (2.0, math.sqrt(2))
    # 2 seeds: 2 ± t_{0.975, 1 df} * sqrt(2) / sqrt(2), t = 12.7062 (table)
    assert diff['ci_low'] == pytest.approx(2 - 12.7062, abs=1e-4)
    assert diff['verdict'] == 'not distinguishable at 95%'

    text = report.markdown()
    assert "mIoU and mF1 are the metric's own means" in text
    assert '4 of the 4 runs have no `support.*`' in text
    assert '| SimCLR | 61.00 ± 1.41 | 80.00 ± 0.00 | 50.00 ± 0.00 |' in text
    assert '| FALSE-SimCLR | 63.00 ± 2.83 |' in text
    assert ('| comparison | Δ mIoU | 95% CI | verdict | seeds better | '
            'seeds to detect 1 mIoU | Δ OA | Δ Kappa | Δ mF1 |') in text
    assert ('| FALSE-SimCLR − SimCLR | +2.00 ± 1.41 | [-10.71, +14.71] | '
            'not distinguishable at 95% | 2/2 | 18 | +0.00 ± 0.00 | '
            '+0.00 ± 0.00 | +0.00 ± 0.00 |') in text
    # Per-class IoU: a = 10, 20; b never present: n/a.
    assert '| method | a | b |' in text
    assert '| SimCLR | 15.00 ± 7.07 | n/a |' in text
    assert 'FNS diagnostics' not in text  # no pretraining logged any
    assert json.loads(json.dumps(report.to_dict()))['pairs'] == [
        ['FALSE-SimCLR', 'SimCLR']
    ]


# Three seeds, classes a and b in the test ground truth, c not. Per seed:
# (IoU.a, IoU.b); F1.a = IoU.a + 10, F1.b = 80. The report's mIoU is
# (IoU.a + IoU.b) / 2 and its mF1 (F1.a + 80) / 2.
IOU = {
    'SimCLR': [(50, 70), (52, 70), (54, 70)],  # mIoU 60, 61, 62
    'FALSE-SimCLR no calibration': [(48, 70), (50, 70), (52, 70)],  # 59..61
    'FALSE-SimCLR': [(52, 70), (56, 70), (60, 70)],  # 61, 63, 65
}
SUPPORT = {'support.a': 30.0, 'support.b': 10.0, 'support.c': 0.0}


def _rs_run(iou_a, iou_b, stray=False, support=SUPPORT):
    """A run as RSSegMetric reports it: its means are over the classes in
    the ground truth or the prediction, so a stray prediction of c (IoU 0,
    F1 0) adds a 0 to them."""
    f1_a = iou_a + 10
    absent = 0.0 if stray else math.nan
    scores = [(iou_a, f1_a), (iou_b, 80.0)] + ([(0.0, 0.0)] if stray else [])
    return dict(
        mIoU=sum(i for i, _ in scores) / len(scores), OA=80.0, Kappa=50.0,
        mF1=sum(f for _, f in scores) / len(scores),
        **{'IoU.a': iou_a, 'F1.a': f1_a, 'IoU.b': iou_b, 'F1.b': 80.0,
           'IoU.c': absent, 'F1.c': absent}, **support)


def _rs_report(stray=(), seeds=(0, 1, 2), change=None):
    """``stray``: (method, seed) runs that predict c somewhere; ``change``:
    a function that may edit the metrics."""
    metrics = {
        name: {'1pct': {s: _rs_run(*IOU[name][s], stray=(name, s) in stray)
                        for s in seeds}}
        for name in IOU
    }
    if change:
        change(metrics)
    return BenchmarkReport(
        metrics, {}, list(seeds), {'1pct': 'splits/train_1pct.txt'},
        [('FALSE-SimCLR', 'SimCLR'),
         ('FALSE-SimCLR', 'FALSE-SimCLR no calibration')], 'seg.py')


def test_stray_prediction_does_not_change_the_report_miou():
    clean = _rs_report()
    stray = _rs_report(stray={('SimCLR', 1), ('FALSE-SimCLR', 0),
                              ('FALSE-SimCLR', 1)})
    assert stray.class_set == dict(classes=['a', 'b'], runs=9,
                                   runs_without_support=0)
    for report in (clean, stray):
        assert report.summary['SimCLR']['1pct']['mIoU'] == dict(
            mean=61.0, std=1.0, n=3)
        assert report.summary['SimCLR']['1pct']['mF1'] == dict(
            mean=71.0, std=1.0, n=3)
        diff = report.differences['FALSE-SimCLR - SimCLR']['1pct']['mIoU']
        assert diff['values'] == [1.0, 2.0, 3.0]
    # The metric's own mean drops: seed 1's (52 + 70 + 0) / 3.
    run = stray.metrics['SimCLR']['1pct'][1]
    assert (run['mIoU'], run['mIoU_any']) == (61.0, pytest.approx(122 / 3))
    assert stray.summary['SimCLR']['1pct']['mIoU_any']['mean'] == (
        pytest.approx((60 + 122 / 3 + 62) / 3))
    assert clean.summary['SimCLR']['1pct']['mIoU_any']['mean'] == 61.0
    own = stray.differences['FALSE-SimCLR - SimCLR']['1pct']['mIoU_any']
    assert own['values'] != [1.0, 2.0, 3.0]

    text = stray.markdown()
    assert ('mIoU over the 2 classes present in the test ground truth: '
            'a, b') in text
    assert '| SimCLR | 61.00 ± 1.00 | 80.00 ± 0.00 | 50.00 ± 0.00 | ' \
        '71.00 ± 1.00 |' in text
    # Everything above the per-class IoU is the same as without the strays.
    assert text.split('Per-class IoU')[0] == clean.markdown().split(
        'Per-class IoU')[0]
    json.dumps(stray.to_dict())  # serialisable


def test_nan_class_in_one_seed_keeps_the_other_seeds():
    # c: 0 where a run predicted it, NaN where it did not.
    text = _rs_report(stray={('SimCLR', 1), ('FALSE-SimCLR', 0),
                             ('FALSE-SimCLR', 1)}).markdown()
    table = text.split('Per-class IoU (c: not in the test ground truth):')[1]
    assert '| method | a | b | c |' in table
    assert '| SimCLR | 52.00 ± 2.00 | 70.00 ± 0.00 | 0.00 ± n/a (1 seed) |' \
        in table
    assert '| FALSE-SimCLR | 56.00 ± 4.00 | 70.00 ± 0.00 | ' \
        '0.00 ± 0.00 (2 seeds) |' in table
    assert '| FALSE-SimCLR no calibration | 50.00 ± 2.00 | 70.00 ± 0.00 | ' \
        'n/a |' in table


def test_two_baselines_give_two_comparison_rows():
    report = _rs_report()
    assert list(report.differences) == [
        'FALSE-SimCLR - SimCLR', 'FALSE-SimCLR - FALSE-SimCLR no calibration'
    ]
    text = report.markdown()
    # vs SimCLR: 1, 2, 3: 2 ± 4.302653 / sqrt(3) = [-0.48, 4.48]; sd 1:
    # 10 seeds detect 1 mIoU. mF1 differences = mIoU differences here.
    assert ('| FALSE-SimCLR − SimCLR | +2.00 ± 1.00 | [-0.48, +4.48] | '
            'not distinguishable at 95% | 3/3 | 10 | +0.00 ± 0.00 | '
            '+0.00 ± 0.00 | +2.00 ± 1.00 |') in text
    # vs the control: 2, 3, 4: 3 ± 2.48 = [0.52, 5.48], above 0.
    assert ('| FALSE-SimCLR − FALSE-SimCLR no calibration | +3.00 ± 1.00 | '
            '[+0.52, +5.48] | better | 3/3 | 10 |') in text
    assert text.count('| FALSE-SimCLR − ') == 2
    assert 'check a verdict on a second run at another thread count' in text
    results = json.loads(json.dumps(report.to_dict()))
    control = results['differences'][
        'FALSE-SimCLR - FALSE-SimCLR no calibration']['1pct']['mIoU']
    assert control['verdict'] == 'better'
    assert control['ci_low'] == pytest.approx(3 - 4.302652729749464 /
                                              math.sqrt(3))
    assert results['class_set']['classes'] == ['a', 'b']
    assert 'mIoU_any' in results['metrics']['SimCLR']['1pct']['0']


def test_one_seed():
    text = _rs_report(seeds=(0, )).markdown()
    assert ('| FALSE-SimCLR − SimCLR | +1.00 ± n/a | n/a (1 seed) | '
            'not distinguishable at 95% | 1/1 | n/a (1 seed) |') in text
    assert '| SimCLR | 60.00 ± n/a | 80.00 ± n/a |' in text  # no "(1 seed)"


def test_supports_must_agree():
    def other_test_set(metrics):
        metrics['FALSE-SimCLR']['1pct'][2]['support.a'] = 31.0

    with pytest.raises(ValueError,
                       match=r'support.* of FALSE-SimCLR 1pct seed 2 differ '
                       r'from those of SimCLR 1pct seed 0'):
        _rs_report(change=other_test_set)


def test_runs_without_support_fall_back_to_the_metric_means():
    def one_old_run(metrics):
        for key in SUPPORT:
            del metrics['SimCLR']['1pct'][1][key]

    report = _rs_report(stray={('SimCLR', 1)}, change=one_old_run)
    assert report.class_set['classes'] is None
    # The metric's own mean for every run: seed 1 with its stray 0.
    assert report.metrics['SimCLR']['1pct'][1]['mIoU'] == pytest.approx(
        122 / 3)
    assert '1 of the 9 runs have no `support.*`' in report.markdown()


def _false_logs(root):
    # The first run logged the names of before the rename (fnsd_*,
    # num_calibrated), the resumed one the current names.
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
        '{"fn_num_picked": 5.0, "fns_precision": 0.75, "iter": 3, '
        '"step": 3}\n')
    return str(root / 'false')


def test_read_fns_curves(tmp_path):
    # The resumed run's iteration 3 replaces the interrupted run's.
    assert read_fns_curves(_false_logs(tmp_path)) == dict(
        fns_precision={2: 0.5, 3: 0.75}, fns_chance={2: 0.25, 3: 0.3})
    assert read_fns_curves(str(tmp_path / 'baseline')) == {}


def test_old_log_keys_get_the_current_names():
    assert [current_name(k) for k in (
        'fnsd_num_calibrated', 'fnsd_gate_pass_rate',
        'fnsd_single_num_calibrated', 'fnsd_dense_mean_gap',
        'fn_num_picked', 'fns_precision', 'loss')] == [
            'fn_num_picked', 'fn_gate_pass_rate', 'fn_single_num_picked',
            'fn_dense_mean_gap', 'fn_num_picked', 'fns_precision', 'loss'
    ]


def test_read_fns_and_its_table(tmp_path):
    # The last value wins, the per-batch means cover both runs.
    fns = read_fns(_false_logs(tmp_path))
    assert fns == dict(fns_precision=0.75, fns_chance=0.3,
                       fn_num_picked=3.0)
    assert read_fns(str(tmp_path / 'baseline')) == {}

    report = _report(fns={
        'SimCLR': {0: {}, 1: {}},
        'FALSE-SimCLR': {0: fns, 1: dict(fns, fns_precision=0.25)}
    })
    text = report.markdown().split('## FNS diagnostics')[1]
    assert ('| method | fns_precision | fns_chance | fn_num_picked |'
            in text)
    assert ('| FALSE-SimCLR | 0.50 ± 0.35 | 0.30 ± 0.00 | 3.00 ± 0.00 |'
            in text)
    assert '| SimCLR |' not in text
