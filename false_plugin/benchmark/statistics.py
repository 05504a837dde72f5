"""Statistics over seeds: summaries and paired comparisons.

A comparison of two methods pairs their runs by seed (same seed, same data
order and initialisation of the fine-tuning): :func:`paired_comparison`
gives the mean of the per-seed differences, its Student-t confidence
interval, a verdict read from that interval, and :func:`seeds_needed`, the
number of seeds a paired t-test needs to detect a given difference at the
observed spread.
"""
import warnings
from typing import Optional, Sequence, Union

import numpy as np
from scipy import stats as sps

#: Verdicts of :func:`paired_comparison` (the level is that of ``alpha``).
BETTER, WORSE = 'better', 'worse'


def not_distinguishable(alpha: float = 0.05) -> str:
    """The verdict of an interval that contains 0:
    ``'not distinguishable at 95%'`` for ``alpha`` 0.05."""
    return f'not distinguishable at {100 * (1 - alpha):g}%'


def finite(values: Sequence[float]) -> np.ndarray:
    """The finite values (NaN: a value a run did not produce)."""
    values = np.asarray(values, dtype=float)
    return values[np.isfinite(values)]


def stats(values: Sequence[float]) -> dict:
    """``mean``, sample ``std`` and ``n`` of the finite values.

    A single finite value has ``std`` 0 (no spread to estimate); none has
    NaN ``mean`` and ``std``.
    """
    values = finite(values)
    if not values.size:
        return dict(mean=float('nan'), std=float('nan'), n=0)
    return dict(
        mean=float(np.mean(values)),
        std=float(np.std(values, ddof=1)) if values.size > 1 else 0.0,
        n=int(values.size))


def confidence_interval(mean: float, std: float, n: int,
                        alpha: float = 0.05) -> tuple:
    """``mean ± t_{1-alpha/2, n-1} · std / sqrt(n)``; NaNs below 2 values.

    Args:
        mean (float): The sample mean.
        std (float): The sample standard deviation.
        n (int): The number of values.
        alpha (float): One minus the confidence level. Defaults to 0.05.

    Returns:
        tuple[float, float]: The interval's low and high ends.
    """
    if n < 2:
        return float('nan'), float('nan')
    half = sps.t.ppf(1 - alpha / 2, n - 1) * std / np.sqrt(n)
    return float(mean - half), float(mean + half)


def paired_t_power(n: Union[int, np.ndarray], effect: float,
                   alpha: float = 0.05) -> np.ndarray:
    """Power of a two-sided paired t-test with ``n`` pairs.

    The statistic follows a noncentral t with ``n - 1`` degrees of freedom
    and noncentrality ``effect · sqrt(n)`` (``effect`` = true mean
    difference / sd of the differences, Cohen's d_z).

    Args:
        n (int | np.ndarray): Numbers of pairs (each at least 2).
        effect (float): The standardised effect d_z.
        alpha (float): The test's level. Defaults to 0.05.

    Returns:
        np.ndarray: The power for each ``n``.
    """
    n = np.asarray(n, dtype=float)
    df = n - 1
    critical = sps.t.ppf(1 - alpha / 2, df)
    noncentrality = abs(effect) * np.sqrt(n)
    with warnings.catch_warnings():
        # scipy's nct warns, and gives NaN, far in a tail: there the upper
        # tail is ~1 (an n past the answer) and the lower tail ~0.
        warnings.simplefilter('ignore', RuntimeWarning)
        upper = sps.nct.sf(critical, df, noncentrality)
        lower = sps.nct.cdf(-critical, df, noncentrality)
    return upper + np.nan_to_num(lower, nan=0.0)


def seeds_needed(std: float,
                 detect: float = 1.0,
                 alpha: float = 0.05,
                 power: float = 0.8,
                 max_seeds: int = 1000) -> Optional[int]:
    """The fewest seeds (at least 2) with which a two-sided paired t-test
    at level ``alpha`` detects a true difference ``detect`` with probability
    ``power``, when the per-seed differences have sd ``std``.

    Args:
        std (float): The sd of the per-seed differences; 0 (identical
            differences) needs 2 seeds.
        detect (float): The true difference to detect. Defaults to 1.0.
        alpha (float): The test's level. Defaults to 0.05.
        power (float): The power wanted. Defaults to 0.8.
        max_seeds (int): The largest number of seeds tried. Defaults to
            1000.

    Returns:
        int | None: The number of seeds; None if more than ``max_seeds``.

    Raises:
        ValueError: If ``std`` is negative or not finite.
    """
    if not np.isfinite(std) or std < 0:
        raise ValueError(f'the sd of the differences is {std}')
    if std == 0:
        return 2
    n = np.arange(2, max_seeds + 1)
    enough = np.flatnonzero(paired_t_power(n, detect / std, alpha) >= power)
    return int(n[enough[0]]) if enough.size else None


def paired_comparison(values: Sequence[float],
                      alpha: float = 0.05,
                      detect: float = 1.0,
                      power: float = 0.8,
                      max_seeds: int = 1000) -> dict:
    """What the per-seed differences (ours - baseline) say.

    Args:
        values (Sequence[float]): One difference per seed; NaN (a metric a
            run did not produce) is left out.
        alpha (float): One minus the confidence level. Defaults to 0.05.
        detect (float): The difference :func:`seeds_needed` is for.
            Defaults to 1.0 (one point of a percent metric).
        power (float): The power :func:`seeds_needed` is for. Defaults to
            0.8.
        max_seeds (int): The cap of :func:`seeds_needed`. Defaults to 1000.

    Returns:
        dict: ``mean``, ``std``, ``n`` (:func:`stats` of the finite
        differences); ``ci_low``, ``ci_high`` (:func:`confidence_interval`,
        NaN with fewer than 2); ``verdict``: ``'better'`` if ``ci_low > 0``,
        ``'worse'`` if ``ci_high < 0``, else ``'not distinguishable at
        95%'`` (also for a single seed; ``'n/a'`` for none); ``better``: the
        seeds where ours is higher; ``seeds_needed``: :func:`seeds_needed`
        at the observed ``std``, ``'>1000'`` past the cap, None with fewer
        than 2 differences; ``values``: the differences as given.
    """
    values = [float(v) for v in values]
    summary = stats(values)
    n = summary['n']
    low, high = confidence_interval(summary['mean'], summary['std'], n,
                                    alpha)
    if n == 0:
        verdict = 'n/a'
    elif low > 0:
        verdict = BETTER
    elif high < 0:
        verdict = WORSE
    else:
        verdict = not_distinguishable(alpha)
    needed = None
    if n >= 2:
        needed = seeds_needed(summary['std'], detect, alpha, power,
                              max_seeds)
        if needed is None:
            needed = f'>{max_seeds}'
    return dict(
        summary,
        ci_low=low,
        ci_high=high,
        verdict=verdict,
        better=int(np.sum(finite(values) > 0)),
        seeds_needed=needed,
        values=values)
