"""Decision rules and confidence intervals for the training experiment.

Rules, fixed before looking at results:

- **converges**: final test accuracy (after the last epoch; no peak-picking)
  above ``CONVERGED_ACC + STATUS_MARGIN`` in *every* seed; **fails**: below
  ``CONVERGED_ACC − STATUS_MARGIN`` in every seed; otherwise **mixed** (some
  seed is on the other side, or too close to the line to say).
- **A > B** (strict): the 95 % t-interval of the seed-paired differences of
  final accuracy lies above ``+DIFF_MARGIN``. **A ≥ B** is *consistent* unless
  that interval lies below ``−DIFF_MARGIN``. A relation whose interval lies
  beyond the margin on the wrong side is *contradicted*; any other is
  *undecided* (strict) or *consistent* (non-strict).
- Curves: per-epoch mean over seeds with a 95 % t-interval.

Why margins: a verdict must not flip with the machine's float code paths. The
same experiment run with torch's AVX2 kernels and with its scalar (``default``)
kernels on one machine (ATEN_CPU_CAPABILITY, 2026-12-03) gave per-seed final
accuracies within 0.047 of each other for the arms that train steadily
(Sigmoid*, tanh, and every arm of the 000-style setting), and so seed means
within 0.02. An interval that clears its boundary by less than that could be
a different verdict on another CPU. (The ReLU family of the 20-layer Xavier MLP
is chaotic: per-seed accuracy moved by up to 0.33 between the two code paths.
No margin saves a decision resting on it; its claims say so.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from cnnbench.analysis.training.experiment import ExperimentResult
from scipy import stats

CONVERGED_ACC = 0.5  # five times chance (10 classes): learnt something, not noise
STATUS_MARGIN = 0.05  # accuracy; > the 0.047 per-seed spread between CPU code paths
DIFF_MARGIN = 0.02  # accuracy; the spread of a 5-seed mean between CPU code paths
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float

    def to_json(self) -> dict:
        return {"mean": self.mean, "low": self.low, "high": self.high}


def t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> Interval:
    """Mean and two-sided t confidence interval (a point when fewer than 2 values).

    Examples
    --------
    >>> ci = t_interval([1.0, 2.0, 3.0])  # 2 ± t(0.975, 2)·1/sqrt(3)
    >>> ci.mean, round(ci.low, 10), round(ci.high, 10)
    (2.0, -0.4841377118, 4.4841377118)
    """
    a = np.asarray(values, dtype=float)
    m = float(a.mean())
    if len(a) < 2:
        return Interval(m, m, m)
    half = float(stats.t.ppf(0.5 + confidence / 2, len(a) - 1) * a.std(ddof=1) / math.sqrt(len(a)))
    return Interval(m, m - half, m + half)


def status(result: ExperimentResult, activation: str) -> str:
    """'converges', 'fails' or 'mixed' by the rule of the module docstring."""
    accs = [r.final_acc for r in result.of(activation)]
    if all(a > CONVERGED_ACC + STATUS_MARGIN for a in accs):
        return "converges"
    if all(a < CONVERGED_ACC - STATUS_MARGIN for a in accs):
        return "fails"
    return "mixed"


def paired_difference(result: ExperimentResult, a: str, b: str) -> Interval:
    """t-interval of final accuracy ``a − b`` paired by seed."""
    acc_a = {r.seed: r.final_acc for r in result.of(a)}
    acc_b = {r.seed: r.final_acc for r in result.of(b)}
    return t_interval([acc_a[s] - acc_b[s] for s in sorted(acc_a) if s in acc_b])


def relation(result: ExperimentResult, a: str, b: str, strict: bool) -> str:
    """'holds', 'consistent', 'undecided' or 'contradicted' for ``a > b`` / ``a ≥ b``."""
    d = paired_difference(result, a, b)
    if d.high < -DIFF_MARGIN:
        return "contradicted"
    if d.low > DIFF_MARGIN:
        return "holds"
    return "undecided" if strict else "consistent"


def curve_summary(result: ExperimentResult, activation: str, field: str) -> list[dict]:
    """Per-epoch mean and t-interval over seeds of ``test_acc``, ``test_loss`` or ``train_loss``."""
    runs = result.of(activation)
    per_epoch = zip(*(getattr(r, field) for r in runs), strict=True)
    return [t_interval(v).to_json() for v in per_epoch]


def activation_summary(result: ExperimentResult, activation: str) -> dict:
    """JSON-ready summary of one arm: status, final accuracy CI, gradient profile at init."""
    runs = result.of(activation)
    ci = t_interval([r.final_acc for r in runs])
    return {
        "status": status(result, activation),
        "final_acc": {k: round(v, 4) for k, v in ci.to_json().items()},
        "final_acc_per_seed": [round(r.final_acc, 4) for r in runs],
        "log10_grad_first_hidden": _mean_log10([r.grad_norms_init[0] for r in runs]),
        "log10_grad_last_hidden": _mean_log10([r.grad_norms_init[-2] for r in runs]),
        "saturated_at_init": max(r.saturated_init for r in runs),
    }


def _mean_log10(values: Sequence[float]) -> float | None:
    """Mean of log10 over seeds; None when a gradient is exactly 0 (underflow)."""
    if any(v <= 0 for v in values):
        return None
    return round(sum(math.log10(v) for v in values) / len(values), 3)
