"""Which weight gain each variance criterion implies, next to ``torch.nn.init.calculate_gain``.

For weights with ``fan·Var[w] = gain²`` (bias 0) and unit-variance Gaussian
pre-activations, three criteria each pick a gain:

- *unit forward*: the next pre-activation keeps second moment 1,
  ``gain² · E[f(z)^2] = 1``;
- *unit backward*: the per-layer gradient gain is 1 at ``q = 1``,
  ``gain² · E[f'(z)^2] = 1``;
- *critical*: the gradient gain is 1 at the forward map's own fixed point,
  ``gain² · E[f'(√q* z)^2] = 1`` with ``q* = gain²·E[f(√q* z)^2]`` (the edge of
  chaos at zero bias).

All three coincide for ReLU and leaky ReLU; for saturating activations they differ.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from types import MappingProxyType

import numpy as np
import sympy as sp
import torch
from cnnbench.analysis.activations.registry import get_activation
from cnnbench.analysis.activations.spec import activation_name
from cnnbench.analysis.claims import CheckResult, decided, inconclusive
from cnnbench.analysis.variance.maps import fixed_point
from cnnbench.analysis.variance.meanfield import continuous_at
from cnnbench.analysis.variance.moments import activation_moments, gaussian_expectation
from scipy import optimize

# How torch names each registered activation for calculate_gain (None: unsupported).
# PReLU and RReLU have no entry of their own; torch's docs point leaky ReLU-like
# units at "leaky_relu" with their negative slope (PReLU's initial 0.25, RReLU's mean).
TORCH_NAMES: Mapping[str, str | None] = MappingProxyType({
    "sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu", "leaky_relu": "leaky_relu",
    "leaky_relu_xa": "leaky_relu", "prelu": "leaky_relu", "rrelu": "leaky_relu",
    "sigmoid_star": None, "regularized_relu": None, "softplus": None, "elu": None,
    "gelu": None, "silu": None, "selu": "selu",
})  # fmt: skip


@dataclass(frozen=True)
class GainRow:
    """The gains of one activation under each criterion, and torch's."""

    activation: str
    torch_gain: float | None
    forward: float
    backward: float
    critical: float | None  # None when no gain puts the fixed point at χ = 1

    def to_json(self) -> dict:
        return asdict(self)


def _negative_slope(name: str) -> float | None:
    act = get_activation(name)
    p = act.params
    if name == "leaky_relu":
        return p["negative_slope"]
    if name == "leaky_relu_xa":
        return 1.0 / p["a"]
    if name == "prelu":
        return p["init"]
    if name == "rrelu":
        return (p["lower"] + p["upper"]) / 2
    return None


def torch_gain(name: object) -> float | None:
    """``torch.nn.init.calculate_gain`` for the registered activation ``name``.

    Examples
    --------
    >>> torch_gain("tanh")  # bit-exact: torch returns the constant 5.0 / 3
    1.6666666666666667
    """
    name = activation_name(name)
    tname = TORCH_NAMES.get(get_activation(name).name)
    if tname is None:
        return None
    slope = _negative_slope(name)
    return float(torch.nn.init.calculate_gain(tname, slope))


def critical_gain(name: str) -> float | None:
    """Smallest gain with ``χ(q*) = 1`` at zero bias, or None (none in (0.1, 30)).

    Examples
    --------
    >>> round(critical_gain("relu"), 6)
    1.414214
    """
    def excess(log_g2: float) -> float:
        fp = fixed_point(name, math.exp(log_g2))
        return (fp.chi if math.isfinite(fp.chi) else 1e6) - 1.0

    grid = np.linspace(math.log(0.01), math.log(900.0), 28)
    vals = [excess(v) for v in grid]
    for a, b, fa, fb in zip(grid[:-1], grid[1:], vals[:-1], vals[1:], strict=True):
        if fa == 0.0:
            return math.exp(a / 2)
        if (fa < 0) != (fb < 0):
            root = optimize.brentq(excess, a, b, xtol=1e-13, rtol=1e-13)
            # where q diverges beyond the root, only a χ₁ that tends to 1 is the edge (GELU,
            # SiLU, Mish jump from χ₁ < 1: cnnbench.analysis.variance.meanfield)
            return math.exp(root / 2) if continuous_at(excess, root) else None
    return None


@lru_cache(maxsize=32)
def gain_row(name: str) -> GainRow:
    """The three criteria's gains for ``name`` and torch's recommended gain.

    Examples
    --------
    >>> r = gain_row("relu")
    >>> round(r.forward**2, 12), round(r.backward**2, 12), r.torch_gain**2
    (2.0, 2.0, 2.0000000000000004)
    """
    m = activation_moments(name)
    return GainRow(
        name,
        torch_gain(name),
        1.0 / math.sqrt(gaussian_expectation(m.square, 1.0)),
        1.0 / math.sqrt(gaussian_expectation(m.dsquare, 1.0)),
        critical_gain(name),
    )


def gain_table(names: tuple[str, ...] = tuple(TORCH_NAMES)) -> tuple[GainRow, ...]:
    """:func:`gain_row` for each of ``names`` (default: every activation torch could name)."""
    return tuple(gain_row(n) for n in names)


# A torch gain "meets" a criterion when within this fraction of the criterion's gain:
# the criteria's own values are exact to ~1e-10, so 2 % leaves room only for rounding
# a gain to a simple fraction (as 5/3 would be), not for a different criterion.
GAIN_MATCH_REL = 0.02


def _relu_family_symbolic(slope: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """(E[f(z)²], E[f'(z)²]) for f = leaky ReLU of negative ``slope``, z ~ N(0, 1), by sympy."""
    z = sp.Symbol("z", real=True)
    pdf = sp.exp(-(z**2) / 2) / sp.sqrt(2 * sp.pi)
    pos = sp.integrate(z**2 * pdf, (z, 0, sp.oo))
    neg = sp.integrate(slope**2 * z**2 * pdf, (z, -sp.oo, 0))
    dpos = sp.integrate(pdf, (z, 0, sp.oo))
    dneg = sp.integrate(slope**2 * pdf, (z, -sp.oo, 0))
    return sp.simplify(pos + neg), sp.simplify(dpos + dneg)


def check_torch_gain_relu_family() -> CheckResult:
    """calculate_gain('relu') = √2 and ('leaky_relu', s) = √(2/(1+s²)) meet every criterion."""
    s = sp.Symbol("s", nonnegative=True)
    fwd, bwd = _relu_family_symbolic(s)
    formula = sp.sqrt(2 / (1 + s**2))
    sym_ok = sp.simplify(1 / sp.sqrt(fwd) - formula) == 0 and sp.simplify(fwd - bwd) == 0
    rows = {}
    ok = sym_ok
    for name in ("relu", "leaky_relu", "leaky_relu_xa", "prelu", "rrelu"):
        r = gain_row(name)
        slope = _negative_slope(name) or 0.0
        exact = float(formula.subs(s, sp.nsimplify(slope)))
        rows[name] = {"torch": r.torch_gain, "exact": exact, "forward": r.forward,
                      "backward": r.backward, "critical": r.critical}  # fmt: skip
        if name != "rrelu":  # RReLU's training slope is random: E[a²] ≠ E[a]²
            ok &= all(abs(v - exact) <= 1e-9 * exact for v in
                      (r.torch_gain, r.forward, r.backward, r.critical or 0.0))  # fmt: skip
    rr = rows["rrelu"]
    return decided(
        ok, "symbolic",
        f"sympy: E[f(z)²] = E[f'(z)²] = {fwd} for a leaky ReLU of slope s, so the unit-forward, "
        f"unit-backward and critical gains all equal √(2/(1+s²)) — torch's formula; checked "
        f"numerically for ReLU, leaky ReLU (both forms), PReLU. RReLU in training has random "
        f"slopes: its criteria give {rr['forward']:.4f}, torch's mean-slope gain "
        f"{rr['torch']:.4f}.",
        symbolic_second_moment=str(fwd), gains=rows,
    )


def check_torch_gain_saturating() -> CheckResult:
    """calculate_gain's sigmoid 1 and tanh 5/3 against the three criteria."""
    rows, matches = {}, {}
    for name in ("sigmoid", "tanh"):
        r = gain_row(name)
        crit = {"forward": r.forward, "backward": r.backward, "critical": r.critical}
        rows[name] = {"torch": r.torch_gain, **crit}
        matches[name] = [k for k, v in crit.items()
                         if v is not None and abs(r.torch_gain - v) <= GAIN_MATCH_REL * v]
    summary = (
        f"Torch recommends 1 for sigmoid and 5/3 for tanh. Unit forward second moment needs "
        f"{rows['sigmoid']['forward']:.3f} and {rows['tanh']['forward']:.3f}, unit backward "
        f"gain at q = 1 {rows['sigmoid']['backward']:.3f} and {rows['tanh']['backward']:.3f}, "
        f"χ = 1 at the fixed point {rows['sigmoid']['critical']:.3f} and "
        f"{rows['tanh']['critical']:.3f}. Criteria met within {GAIN_MATCH_REL:.0%}: "
        f"sigmoid {matches['sigmoid'] or 'none'}, tanh {matches['tanh'] or 'none'}."
    )
    if all(matches.values()):
        return decided(True, "numeric", summary, gains=rows, matches=matches)
    return inconclusive(
        "numeric",
        summary + " The docs state no criterion, so a value that meets none cannot be judged "
        "right or wrong; with gain 1, a sigmoid stack's gradient shrinks ~18× per layer.",
        gains=rows, matches=matches,
    )
