"""Theory against Monte Carlo over a grid of activations × initialisations × geometries.

A run *agrees* when every layer's forward and backward statistic lies within
the tolerance of :mod:`cnnbench.analysis.variance.monte_carlo` (family-wise ``ALPHA`` shared by
the whole grid, Bonferroni). A run is *uninformative* when some tolerance is
wider than ``MAX_REL_TOL`` of its prediction: there the draws scatter so much
(finite-width fluctuations compounding over depth, a heavy right tail) that
neither agreement nor disagreement means anything — the infinite-width
assumption does not hold at that width and depth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cnnbench.analysis.claims import CheckResult, confirmed, inconclusive, refuted
from cnnbench.analysis.units import Unit, result_of
from cnnbench.analysis.variance.monte_carlo import (
    ALPHA,
    MAX_REL_TOL,
    SPATIAL,
    MonteCarloResult,
    monte_carlo,
)

GRID_ACTIVATIONS = ("sigmoid", "tanh", "sigmoid_star", "relu", "leaky_relu", "prelu", "rrelu",
                    "regularized_relu", "elu", "gelu")  # fmt: skip
GRID_INITS = ("xavier_uniform", "xavier_normal", "kaiming_fan_in", "kaiming_fan_out", "lecun",
              "pytorch_default")  # fmt: skip
CONV_CASES = tuple((a, i) for a in ("sigmoid", "tanh", "sigmoid_star", "relu")
                   for i in ("xavier_normal", "kaiming_fan_in"))  # fmt: skip
WIDTH_CASES = tuple((a, w) for a in ("relu", "tanh") for w in (64, 512))
DEPTH = 30
# Agreement in fewer informative configurations than this is too little to confirm.
MIN_INFORMATIVE = 10


@dataclass(frozen=True)
class GridCase:
    activation: str
    init: str
    kind: str
    width: int
    draws: int
    batch: int


def grid_cases() -> tuple[GridCase, ...]:
    """Every configuration the grid check runs (MLP width 256, conv 64 channels, widths)."""
    cases = [GridCase(a, i, "mlp", 256, 16, 32) for a in GRID_ACTIVATIONS for i in GRID_INITS]
    cases += [GridCase(a, i, "conv", 64, 16, 4) for a, i in CONV_CASES]
    cases += [GridCase(a, "xavier_normal", "mlp", w, 16, 32) for a, w in WIDTH_CASES]
    return tuple(cases)


def run_case(case: GridCase, alpha: float) -> MonteCarloResult:
    """The Monte Carlo of one configuration (seeded by its own ``seed=7``: order-free)."""
    return monte_carlo(case.activation, case.init, DEPTH, case.width, kind=case.kind,
                       draws=case.draws, batch=case.batch, seed=7, alpha=alpha)  # fmt: skip


def grid_units(cases: tuple[GridCase, ...] | None = None) -> tuple[Unit, ...]:
    """One unit per configuration, each sharing the family-wise rate ``ALPHA`` across all.

    ``cost``: multiply-adds per layer and draw (a conv layer does 9·S² per weight).
    """
    cases = grid_cases() if cases is None else cases
    alpha = ALPHA / len(cases)
    return tuple(Unit(f"variance.mc-grid/{_label(c)}", run_case, (c, alpha),
                      cost=c.batch * c.width**2 * (9 * SPATIAL**2 if c.kind == "conv" else 1))
                 for c in cases)  # fmt: skip


def run_grid(cases: tuple[GridCase, ...] | None = None) -> list[tuple[GridCase, MonteCarloResult]]:
    """Monte Carlo for each case (:func:`grid_units`; computed here unless an executor
    already did: :func:`cnnbench.analysis.units.result_of`)."""
    cases = grid_cases() if cases is None else cases
    return [(u.args[0], result_of(u)) for u in grid_units(cases)]


def _finite(v: float) -> float | str:
    return round(v, 3) if math.isfinite(v) else str(v)


def _label(c: GridCase) -> str:
    return f"{c.activation}/{c.init}/{c.kind}{c.width}"


def check_mc_grid() -> CheckResult:
    """Every informative configuration agrees with the theory at every layer.

    Refuted if any informative configuration disagrees; confirmed if none does
    and at least ``MIN_INFORMATIVE`` are informative; otherwise inconclusive.
    """
    runs = run_grid()
    informative = [(c, r) for c, r in runs if r.informative]
    disagree = [_label(c) for c, r in informative if not r.agrees]
    unusable = [_label(c) for c, r in runs if not r.informative]
    worst = max((max(r.worst().values()) for _, r in informative), default=0.0)
    relu_family = ("relu", "leaky_relu", "prelu", "rrelu", "regularized_relu")
    n_relu = sum(c.activation in relu_family for c, r in runs if not r.informative)
    table = {_label(c): {"agrees": r.agrees, "informative": r.informative,
                         **{k: _finite(v) for k, v in r.worst().items()}}
             for c, r in runs}  # fmt: skip
    if disagree:
        verdict = refuted
    elif len(informative) >= MIN_INFORMATIVE:
        verdict = confirmed
    else:
        verdict = inconclusive
    return verdict(
        "monte-carlo",
        f"{len(runs)} configurations (depth {DEPTH}; MLP widths 64-512, conv 64 channels): in "
        f"{len(informative)} the tolerance is informative and {len(informative) - len(disagree)} "
        f"agree at every layer (worst error {worst:.3g}× tolerance); in {len(unusable)} "
        f"({n_relu} of them ReLU-family, the rest narrow or at gain √2) finite-width "
        f"fluctuations, compounding log-normally with depth, make the tolerance wider "
        f"than {MAX_REL_TOL:.0%} of the prediction: "
        f"{', '.join(unusable[:8])}{' ...' if len(unusable) > 8 else ''}.",
        disagreeing=disagree, uninformative=unusable, alpha=ALPHA, runs=table,
    )
