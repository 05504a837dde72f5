"""false_plugin.benchmark.statistics against numbers computed by hand (and a
t quantile and sample sizes from tables, not from scipy)."""
import math

import pytest

from false_plugin.benchmark.statistics import (not_distinguishable,
                                               paired_comparison,
                                               paired_t_power, seeds_needed,
                                               stats)

#: t_{0.975} with 2 degrees of freedom (any t table).
T_975_2DF = 4.302652729749464


def test_stats_leave_out_nan():
    assert stats([1.0, math.nan, 3.0]) == dict(mean=2.0, std=math.sqrt(2),
                                               n=2)
    assert stats([5.0, math.nan]) == dict(mean=5.0, std=0.0, n=1)
    empty = stats([math.nan, math.nan])
    assert empty['n'] == 0 and math.isnan(empty['mean'])


@pytest.mark.parametrize(
    'values, mean, sd, verdict',
    [
        # mean 3, sd 1: 3 ± 4.3027 / sqrt(3) = [0.516, 5.484], above 0
        ([2.0, 3.0, 4.0], 3.0, 1.0, 'better'),
        # mirrored: below 0
        ([-2.0, -3.0, -4.0], -3.0, 1.0, 'worse'),
        # mean 3, deviations -2, -1, 3: sd sqrt(14 / 2) = sqrt(7);
        # 3 ± 4.3027 * sqrt(7 / 3) = [-3.57, 9.57] contains 0, although
        # every seed is better
        ([1.0, 2.0, 6.0], 3.0, math.sqrt(7), 'not distinguishable at 95%'),
    ])
def test_interval_and_verdict(values, mean, sd, verdict):
    c = paired_comparison(values)
    half = T_975_2DF * sd / math.sqrt(3)
    assert c['n'] == 3
    assert c['mean'] == pytest.approx(mean)
    assert c['std'] == pytest.approx(sd)
    assert c['ci_low'] == pytest.approx(mean - half)
    assert c['ci_high'] == pytest.approx(mean + half)
    assert c['verdict'] == verdict
    assert c['better'] == sum(v > 0 for v in values)
    assert c['values'] == values


def test_one_seed_has_no_interval():
    c = paired_comparison([2.5])
    assert (c['mean'], c['n'], c['better']) == (2.5, 1, 1)
    assert math.isnan(c['ci_low']) and math.isnan(c['ci_high'])
    assert c['verdict'] == 'not distinguishable at 95%'
    assert c['seeds_needed'] is None  # no spread to plan with


def test_nan_seed_is_left_out_but_kept_in_values():
    c = paired_comparison([2.0, math.nan, 4.0, 3.0])
    assert c['n'] == 3 and c['mean'] == pytest.approx(3.0)
    assert c['ci_low'] == pytest.approx(3.0 - T_975_2DF / math.sqrt(3))
    assert len(c['values']) == 4 and math.isnan(c['values'][1])


def test_level_follows_alpha():
    assert not_distinguishable(0.1) == 'not distinguishable at 90%'
    # A 90% interval is narrower: t_{0.95, 2 df} = 2.919986 (t table).
    c = paired_comparison([1.0, 2.0, 6.0], alpha=0.1)
    assert c['ci_low'] == pytest.approx(3 - 2.919986 * math.sqrt(7 / 3),
                                        abs=1e-5)


def test_seeds_needed_matches_g_power():
    # Paired t-test, two-sided, alpha 0.05, power 0.8 (G*Power, "means:
    # difference between two dependent means"): d_z = 1 needs 10 pairs,
    # d_z = 0.5 needs 34.
    assert seeds_needed(1.0, detect=1.0) == 10
    assert seeds_needed(2.0, detect=1.0) == 34
    assert seeds_needed(4.0, detect=2.0) == 34  # only d_z counts
    # The power just below and at the answer (G*Power: 0.8031 at n = 10).
    assert paired_t_power(9, 1.0) < 0.8 <= paired_t_power(10, 1.0)
    assert paired_t_power(10, 1.0) == pytest.approx(0.8031, abs=5e-4)
    # Two-sided at 0.1 (about one-sided at 0.05) needs 8 (G*Power,
    # one-tailed): the default is two-sided at 0.05.
    assert seeds_needed(1.0, alpha=0.1) == 8


def test_seeds_needed_grows_with_the_spread():
    needed = [seeds_needed(sd) for sd in (0.0, 0.1, 0.5, 1.0, 1.5, 2.0, 3.0)]
    assert needed[0] == 2  # identical differences
    assert needed == sorted(needed) and needed[-1] > needed[3] > needed[1]
    # A spread no practical number of seeds overcomes: past the cap.
    assert seeds_needed(20.0) is None
    assert seeds_needed(20.0, max_seeds=5000) is not None
    assert paired_comparison([-30.0, 0.0, 30.0])['seeds_needed'] == '>1000'
    assert paired_comparison([2.0, 3.0, 4.0])['seeds_needed'] == 10
    with pytest.raises(ValueError):
        seeds_needed(math.nan)
