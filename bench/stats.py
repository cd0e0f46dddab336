"""Statistics of timing samples: median, IQR and confidence intervals of the median.

Kept apart from the harness so the stopping rule and the intervals can be tested
on seeded fake samples, never on real timings.

Two intervals of the median are offered:

* :func:`median_ci` — the distribution-free order-statistic interval (the
  sample median's rank is Binomial(n, 1/2)); exact coverage >= the confidence
  level for any continuous distribution, deterministic and cheap, so the
  harness uses it for its stopping rule after every sample.
* :func:`bootstrap_median_ci` — scipy's BCa/percentile bootstrap, seeded; used
  to cross-check the order-statistic interval and for reports.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from cnnbench.analysis._validation import ParameterError, as_int, as_real
from scipy import stats

# The order-statistic interval needs n >= 6 to reach 95% coverage (2 * 0.5**6 < 0.05).
MIN_SAMPLES_FOR_CI = 6


def _as_array(samples: Sequence[float]) -> np.ndarray:
    arr = np.asarray(samples, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ParameterError("samples", list(samples)[:5], "must be a non-empty 1-D sequence")
    if not np.all(np.isfinite(arr)):
        raise ParameterError("samples", list(samples)[:5], "must all be finite")
    return arr


def median(samples: Sequence[float]) -> float:
    """Sample median.

    >>> median([3.0, 1.0, 2.0, 10.0])  # bit-exact: (2 + 3) / 2
    2.5
    """
    return float(np.median(_as_array(samples)))


def quartiles(samples: Sequence[float]) -> tuple[float, float]:
    """First and third quartiles (numpy's linear interpolation).

    >>> quartiles([1.0, 2.0, 3.0, 4.0, 5.0])  # bit-exact: sample points
    (2.0, 4.0)
    """
    q1, q3 = np.percentile(_as_array(samples), [25.0, 75.0])
    return float(q1), float(q3)


def iqr(samples: Sequence[float]) -> float:
    """Interquartile range.

    >>> iqr([1.0, 2.0, 3.0, 4.0, 5.0])  # bit-exact: 4 - 2
    2.0
    """
    q1, q3 = quartiles(samples)
    return q3 - q1


@lru_cache(maxsize=4096)  # the harness asks after every sample; scipy's cdf is ~50 µs a call
def median_ci_ranks(n: int, confidence: float = 0.95) -> tuple[int, int] | None:
    """0-based ranks ``(lo, hi)`` of the order-statistic interval of the median.

    Chooses the narrowest symmetric pair with
    ``P(X_(lo) <= median <= X_(hi)) >= confidence``, where the count of samples
    below the true median is Binomial(n, 1/2). Returns ``None`` when even
    ``(min, max)`` does not reach the confidence level (small ``n``).

    >>> median_ci_ranks(10)
    (1, 8)
    >>> median_ci_ranks(5) is None
    True
    """
    n = as_int("n", n, minimum=1)
    confidence = as_real("confidence", confidence, lower=0.0, upper=1.0, lower_open=True,
                         upper_open=True)
    alpha = 1.0 - confidence
    # Coverage of [X_(k), X_(n-1-k)] is P(k+1 <= B <= n-1-k) = 1 - 2 * cdf(k), B ~ Bin(n, 1/2);
    # take the largest k whose coverage still reaches the level.
    if 2.0 * stats.binom.cdf(0, n, 0.5) > alpha:
        return None
    k = 0
    while k + 1 <= (n - 1) // 2 and 2.0 * stats.binom.cdf(k + 1, n, 0.5) <= alpha:
        k += 1
    return k, n - 1 - k


def median_ci(samples: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """Distribution-free confidence interval of the median from order statistics.

    Falls back to ``(min, max)`` when there are too few samples to reach the
    confidence level (the interval is then wider than claimed: use
    :data:`MIN_SAMPLES_FOR_CI` samples or more).

    >>> median_ci([float(i) for i in range(1, 11)])  # bit-exact: order statistics
    (2.0, 9.0)
    """
    arr = np.sort(_as_array(samples))
    ranks = median_ci_ranks(arr.size, confidence)
    if ranks is None:
        return float(arr[0]), float(arr[-1])
    return float(arr[ranks[0]]), float(arr[ranks[1]])


def bootstrap_median_ci(
    samples: Sequence[float], confidence: float = 0.95, *, seed: int = 0, n_resamples: int = 999
) -> tuple[float, float]:
    """Percentile bootstrap interval of the median (scipy.stats.bootstrap, seeded).

    Percentile, not BCa: BCa's jackknife is undefined for the tied values a
    coarse clock produces.
    """
    arr = _as_array(samples)
    if arr.size < 2 or np.all(arr == arr[0]):
        return float(arr[0]), float(arr[0])
    res = stats.bootstrap(
        (arr,),
        np.median,
        confidence_level=confidence,
        n_resamples=n_resamples,
        method="percentile",
        random_state=np.random.default_rng(seed),
        vectorized=True,
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def rel_halfwidth(ci: tuple[float, float], center: float) -> float:
    """Half the width of ``ci`` relative to ``center`` (``inf`` when center is 0).

    >>> rel_halfwidth((9.0, 11.0), 10.0)  # bit-exact: 1 / 10, one division
    0.1
    """
    if center == 0:
        return math.inf
    return (ci[1] - ci[0]) / 2.0 / abs(center)
