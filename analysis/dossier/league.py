"""The league table: one row per activation the suite knows (built-in and plugged in), with
the numbers a paper proposing an activation compares by hand.

Theory per row: the slope at 0⁺, the forward-variance gain and torch's, the
order-to-chaos σ_w at :data:`LEAGUE_SIGMA_B`, and the gradient depth scale ξ_∇
at the Xavier point (σ_w = 1) and the Kaiming point (σ_w = √2), both at σ_b = 0.
Timing and trainability are merged in by the ``league`` command from
:func:`~cnnbench.bench.activation_timing.time_activations` and
:func:`~cnnbench.analysis.training.experiment.run_experiment` (one run for all rows).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from cnnbench.analysis.activations.registry import ACTIVATIONS
from cnnbench.analysis.dossier.theory import edge, gains
from cnnbench.analysis.variance.meanfield import mean_field

LEAGUE_SIGMA_B = 0.1  # the bias spread the edge column is stated at
XAVIER_SW, KAIMING_SW = 1.0, math.sqrt(2.0)


def league_names() -> tuple[str, ...]:
    """Every elementwise registered activation (softmax has no per-element theory)."""
    return tuple(n for n, a in ACTIVATIONS.items() if a.elementwise)


def _slope(name: str) -> str:
    from cnnbench.analysis.activations.taylor import slope_at_zero_plus
    from cnnbench.analysis.dossier.theory import _series

    act = ACTIVATIONS[name]
    if act.expr is not None:
        exact = slope_at_zero_plus(act)
        return str(exact) if len(str(exact)) <= 12 else f"{float(exact):.6g}"
    return _series(act, 1)[1]


def theory_row(name: str, sigma_b: float = LEAGUE_SIGMA_B) -> dict:
    """The theory columns of ``name``'s row.

    Examples
    --------
    >>> r = theory_row("relu")
    >>> r["slope_at_0_plus"], round(r["gain_forward"], 6), round(r["edge_sigma_w"], 6)
    ('1', 1.414214, 1.414214)
    """
    g = gains(name)
    sw, note = edge(name, sigma_b)
    xavier, kaiming = mean_field(name, XAVIER_SW, 0.0), mean_field(name, KAIMING_SW, 0.0)
    return {
        "activation": name, "user": ACTIVATIONS[name].seed == "user",
        "slope_at_0_plus": _slope(name),
        "gain_forward": g["forward"]["gain"], "gain_torch": g["torch"]["gain"],
        "edge_sigma_w": sw, "edge_note": note,
        "depth_gradient_xavier": _depth(xavier), "phase_xavier": _phase(xavier),
        "depth_gradient_kaiming": _depth(kaiming), "phase_kaiming": _phase(kaiming),
        "command": f"cnnbench activation {name} --sigma-b {sigma_b:g}",
    }  # fmt: skip


def _depth(m) -> float | None:
    return None if m.regime == "divergent" else m.depth_gradient


def _phase(m) -> str:
    return "q diverges" if m.regime == "divergent" else m.phase


def league(names: Iterable[str] | None = None, sigma_b: float = LEAGUE_SIGMA_B,
           progress: Callable[[str], None] | None = None) -> list[dict]:  # fmt: skip
    """Theory rows for ``names`` (default: every elementwise activation)."""
    rows = []
    for name in names or league_names():
        if progress is not None:
            progress(name)
        rows.append(theory_row(name, sigma_b))
    return rows
