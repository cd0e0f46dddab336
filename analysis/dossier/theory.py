"""The theory half of an activation's dossier: series, shape, gains, mean-field picture.

Everything comes from the functions the claims use (:mod:`~cnnbench.analysis.activations.taylor`,
:mod:`~cnnbench.analysis.variance.gain`, :mod:`~cnnbench.analysis.variance.meanfield`).
An activation given as a torch function or module has no sympy form: its series
and slope come from autograd at 0⁺/0⁻, its ranges from a dense grid, and each
row says so (``how``).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import torch
from cnnbench.analysis.activations.registry import Activation
from cnnbench.analysis.activations.spec import activation
from cnnbench.analysis.activations.taylor import expansion, slope_at_zero_plus
from cnnbench.analysis.dossier.shape import smoothness, value_ranges
from cnnbench.analysis.variance.gain import torch_gain
from cnnbench.analysis.variance.meanfield import (
    EDGE_BRACKET,
    divergence_onset,
    edge_of_chaos,
    mean_field,
)
from cnnbench.analysis.variance.moments import activation_moments, gaussian_expectation

NUMERIC_ORDER = 3  # autograd derivatives at 0± beyond this lose too many digits to show
ONE_SIDED_H = 1e-7  # how far from 0 a one-sided autograd derivative is taken
GAIN_CRITERIA = {
    "forward": "unit forward variance: gain²·E[f(z)²] = 1 (z ~ N(0, 1))",
    "backward": "unit backward variance: gain²·E[f'(z)²] = 1",
    "compromise": "Glorot's compromise: gain²·(E[f(z)²] + E[f'(z)²])/2 = 1",
    "critical": "the edge of chaos at zero bias: χ₁ = gain²·E[f'(√q* z)²] = 1 at the "
    "forward fixed point q*",
    "torch": "torch.nn.init.calculate_gain (where torch names the activation)",
}


@dataclass(frozen=True)
class Theory:
    """What theory says about one activation (JSON-ready through :meth:`to_json`)."""

    activation: str
    expression: str | None
    origin: str
    symbolic: bool
    series: dict
    slope_at_0_plus: str
    ranges: dict
    smoothness: dict
    gains: dict
    mean_field: dict
    edge_sigma_w: float | None
    edge_note: str
    seconds: float

    def to_json(self) -> dict:
        return finite_json(asdict(self))


def finite_json(v: object) -> object:
    """±inf as the strings "inf"/"-inf" and NaN as None: JSON has neither."""
    if isinstance(v, float) and not math.isfinite(v):
        return None if v != v else ("inf" if v > 0 else "-inf")
    if isinstance(v, dict):
        return {k: finite_json(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [finite_json(x) for x in v]
    return v


def edge(name: str, sigma_b: float) -> tuple[float | None, str]:
    """The order-to-chaos σ_w at ``sigma_b``, or None and why there is none."""
    sw = edge_of_chaos(name, sigma_b)
    if sw is not None:
        return sw, f"χ₁ = 1 at σ_w = {sw:.6g} (σ_b = {sigma_b:g}), fixed point reached from q = 1"
    onset = divergence_onset(name, sigma_b)
    if onset is None:
        return None, (f"χ₁ stays on one side of 1 for σ_w in {EDGE_BRACKET} at σ_b = "
                      f"{sigma_b:g}")  # fmt: skip
    return None, (f"none: from σ_w = {onset[0]:.6g} the q-map from q = 1 diverges (no finite "
                  f"fixed point), and just below it χ₁ = {onset[1]:.4g} < 1")


def _series(act: Activation, order: int) -> tuple[dict, str]:
    if act.expr is not None:
        e = expansion(act, order)
        show = lambda cs: None if cs is None else [str(c) for c in cs]  # noqa: E731
        series = {"how": "sympy (exact)", "order": order, "maclaurin": show(e.maclaurin),
                  "right": show(e.right), "left": show(e.left),
                  "radius": None if e.radius is None else str(e.radius),
                  "radius_reason": e.radius_reason}  # fmt: skip
        return series, str(slope_at_zero_plus(act))
    sides = {s: _autograd_coefficients(act, s, min(order, NUMERIC_ORDER)) for s in "+-"}
    series = {"how": f"numeric: autograd at 0± (±{ONE_SIDED_H:g}), order {NUMERIC_ORDER} at "
              "most", "order": min(order, NUMERIC_ORDER), "maclaurin": None,
              "right": [f"{c:.6g}" for c in sides["+"]], "left": [f"{c:.6g}" for c in sides["-"]],
              "radius": None, "radius_reason": "not determined (no sympy form)"}  # fmt: skip
    return series, f"{sides['+'][1]:.6g}"


def _autograd_coefficients(act: Activation, side: str, order: int) -> list[float]:
    """f^(k)(0±)/k! for k = 0..order, by nested autograd at ±h."""
    x = torch.tensor([ONE_SIDED_H if side == "+" else -ONE_SIDED_H], dtype=torch.float64,
                     requires_grad=True)  # fmt: skip
    y = act.reference(x)
    out = [float(act.reference(torch.zeros(1, dtype=torch.float64))[0])]
    for k in range(1, order + 1):
        (y,) = torch.autograd.grad(y.sum(), x, create_graph=True)
        out.append(float(y[0].detach()) / math.factorial(k))
    return out


def gains(name: str) -> dict:
    """The weight gain each variance criterion implies, with the criterion stated."""
    m = activation_moments(name)
    ef2, edf2 = gaussian_expectation(m.square, 1.0), gaussian_expectation(m.dsquare, 1.0)
    values = {"forward": 1 / math.sqrt(ef2), "backward": 1 / math.sqrt(edf2),
              "compromise": math.sqrt(2 / (ef2 + edf2)), "critical": edge_of_chaos(name, 0.0),
              "torch": torch_gain(name) if _torch_knows(name) else None}  # fmt: skip
    return {k: {"gain": v, "criterion": GAIN_CRITERIA[k]} for k, v in values.items()}


def _torch_knows(name: str) -> bool:
    from cnnbench.analysis.variance.gain import TORCH_NAMES

    return TORCH_NAMES.get(name) is not None


def theory(spec: object, sigma_w: float = 1.0, sigma_b: float = 0.0, order: int = 6) -> Theory:
    """The theory dossier of the activation ``spec`` names, at (σ_w, σ_b).

    Examples
    --------
    >>> t = theory("tanh", order=3)
    >>> t.series["maclaurin"], t.slope_at_0_plus, t.mean_field["phase"]
    (['0', '1', '0', '-1/3'], '1', 'critical')
    """
    start = time.perf_counter()
    act = activation(spec)
    series, slope = _series(act, order)
    mf = mean_field(act.name, sigma_w, sigma_b)
    return Theory(
        act.name, None if act.expr is None else str(act.expr), act.locator,
        act.expr is not None, series, slope, value_ranges(act), smoothness(act), gains(act.name),
        mf.to_json(), *edge(act.name, sigma_b), time.perf_counter() - start,
    )  # fmt: skip
