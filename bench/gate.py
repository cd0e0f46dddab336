"""Within-run ratio gate: catch real regressions on a noisy shared machine.

A wall-clock time on a shared 2-core VM moves by 2x from one run to the next,
so a gate on absolute times either cries wolf or sleeps through regressions.
What stays put is the *ratio* of a workload's time to a reference of the same
cost class timed in the same run, interleaved sample by sample (a copy of the
same bytes for memory-bound ops, a matrix product of the same FLOPs for
convolutions): a noisy neighbour slows both alike.

Decision, per workload (log-ratios ``x_i`` of one run, ``c`` the baseline
centre, ``tol`` its tolerance):

* ``d = median(x) - c``; a *regression* needs ``d > tol`` **and** a one-sided
  Wilcoxon signed-rank test of ``x_i - c > 0`` with ``p < ALPHA``;
* ``tol = max(K_SIGMA * s_AA, MIN_TOL)``, where ``s_AA`` is the robust spread of
  the run-level medians over repeated A/A runs stored with the baseline;
* a flagged workload is measured again; only a second flag confirms it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

Timer = Callable[[], int]

ALPHA = 0.01  # one-sided significance of the within-run shift
K_SIGMA = 4.0  # tolerance in robust A/A standard deviations of the run-level median
MIN_TOL = math.log(1.10)  # never flag a shift under 10%: below what a user would act on
MAD_TO_SD = 1.4826  # MAD of a normal sample times this estimates its standard deviation
STATUSES = ("ok", "regression", "improvement", "unconfirmed")


def paired_log_ratios(
    fn: Callable[[], object],
    ref: Callable[[], object],
    *,
    rounds: int,
    number: int,
    timer: Timer = time.perf_counter_ns,
) -> tuple[float, ...]:
    """log(time of ``number`` calls of fn / time of ``number`` calls of ref), per round.

    The order alternates every round so neither side always runs on a cache
    or frequency state the other left behind.
    """
    out = []
    for r in range(rounds):
        first, second = (fn, ref) if r % 2 == 0 else (ref, fn)
        t = []
        for f in (first, second):
            start = timer()
            for _ in range(number):
                f()
            t.append(timer() - start)
        t_fn, t_ref = (t[0], t[1]) if r % 2 == 0 else (t[1], t[0])
        out.append(math.log(max(t_fn, 1) / max(t_ref, 1)))
    return tuple(out)


@dataclass(frozen=True)
class BaselineEntry:
    """One workload's accepted ratio and how much it moved between A/A runs."""

    name: str
    aa_medians: tuple[float, ...]  # run-level median log-ratio of each A/A run

    @property
    def center(self) -> float:
        return float(np.median(self.aa_medians))

    @property
    def aa_spread(self) -> float:
        """Robust SD of the run-level medians (MAD x 1.4826; SD if MAD is 0)."""
        a = np.asarray(self.aa_medians)
        mad = float(np.median(np.abs(a - np.median(a)))) * MAD_TO_SD
        return mad if mad > 0 else float(np.std(a, ddof=1)) if len(a) > 1 else 0.0

    @property
    def tolerance(self) -> float:
        return max(K_SIGMA * self.aa_spread, MIN_TOL)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "aa_medians": [round(v, 6) for v in self.aa_medians],
            "ratio": round(math.exp(self.center), 6),
            "tolerance_factor": round(math.exp(self.tolerance), 6),
        }


@dataclass(frozen=True)
class Verdict:
    """What the gate decided for one workload in one run."""

    name: str
    status: str  # one of STATUSES
    baseline_ratio: float
    current_ratio: float
    change: float  # current/baseline ratio of ratios
    tolerance_factor: float
    p_value: float  # one-sided, in the direction of the change
    rounds: int
    confirm_change: float | None = None  # the re-run's change, when one was needed

    def to_json(self) -> dict:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def decide(entry: BaselineEntry, log_ratios: Sequence[float]) -> Verdict:
    """Classify one run's log-ratios against the baseline (no re-run)."""
    x = np.asarray(log_ratios, dtype=float)
    if len(x) < 6:
        raise ValueError(f"`log_ratios` has {len(x)} values; the test needs at least 6")
    d = float(np.median(x)) - entry.center
    shifted = x - entry.center
    if np.allclose(shifted, 0.0):
        p_up = p_down = 1.0
    else:
        p_up = float(stats.wilcoxon(shifted, alternative="greater").pvalue)
        p_down = float(stats.wilcoxon(shifted, alternative="less").pvalue)
    if d > entry.tolerance and p_up < ALPHA:
        status, p = "regression", p_up
    elif d < -entry.tolerance and p_down < ALPHA:
        status, p = "improvement", p_down
    else:
        status, p = "ok", p_up if d >= 0 else p_down
    return Verdict(
        entry.name,
        status,
        math.exp(entry.center),
        math.exp(float(np.median(x))),
        math.exp(d),
        math.exp(entry.tolerance),
        p,
        len(x),
    )


def decide_confirmed(
    entry: BaselineEntry, measure: Callable[[], Sequence[float]]
) -> Verdict:
    """Measure, decide, and re-measure a flagged regression before confirming it."""
    first = decide(entry, measure())
    if first.status != "regression":
        return first
    again = decide(entry, measure())
    status = "regression" if again.status == "regression" else "unconfirmed"
    return Verdict(**{**first.__dict__, "status": status, "confirm_change": again.change})
