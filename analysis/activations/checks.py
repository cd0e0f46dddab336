"""Checks (verbs) of what the texts say about single activations and their derivatives.

Each returns a :class:`~cnnbench.analysis.claims.CheckResult`; oracles are sympy
(symbolic derivatives, critical points, limits) and torch autograd in float64.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
import torch
from cnnbench.analysis.activations.registry import X, get_activation
from cnnbench.analysis.activations.taylor import branch
from cnnbench.analysis.claims import (
    CheckResult,
    Correction,
    confirmed,
    decided,
    inconclusive,
    reading,
    refuted,
)
from sympy.calculus.util import function_range

ABS_TOL_FP64 = 1e-12  # float64 rounding of an O(1) derivative after ~10 ops
# "f'(x) ≈ 0" in a table: below 0.1% of the derivative's own maximum.
APPROX_ZERO_REL = 1e-3
GRID = torch.linspace(-12.0, 12.0, 2401, dtype=torch.float64)  # includes 0 and ±10


def autograd_derivative(name: str, x: torch.Tensor) -> torch.Tensor:
    """f'(x) of the registered reference, by torch autograd."""
    xx = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(get_activation(name).reference(xx).sum(), xx)
    return g


def max_abs_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max())


def sympy_on_grid(expr: sympy.Expr, x: torch.Tensor) -> torch.Tensor:
    """Evaluate a sympy expression in :data:`X` on a float64 tensor (via numpy/scipy)."""
    f = sympy.lambdify(X, expr, modules=["scipy", "numpy"])
    values = f(x.numpy())
    return torch.as_tensor(values, dtype=torch.float64).expand_as(x)


@dataclass(frozen=True)
class DerivativeRange:
    """Infimum and supremum of f' over the reals, and whether each is attained."""

    inf: sympy.Expr
    inf_attained: bool
    sup: sympy.Expr
    sup_attained: bool
    critical_points: tuple[sympy.Expr, ...]

    def interval(self) -> str:
        left = "[" if self.inf_attained else "("
        right = "]" if self.sup_attained else ")"
        return f"{left}{self.inf}, {self.sup}{right}"


def derivative_range(expr: sympy.Expr) -> DerivativeRange:
    """Range of d/dx ``expr`` on R: critical points of f' (solve f''=0) and limits at ±∞.

    Valid for smooth f whose f' has finitely many real critical points, which
    sympy's ``solve`` returns in full for the logistic and tanh families.
    """
    d = sympy.diff(expr, X)
    crit = tuple(c for c in sympy.solve(sympy.diff(d, X), X) if c.is_real)
    at_crit = [sympy.simplify(d.subs(X, c)) for c in crit]
    ends = [sympy.limit(d, X, sympy.oo), sympy.limit(d, X, -sympy.oo)]
    values = at_crit + ends
    sup, inf = sympy.Max(*values), sympy.Min(*values)
    return DerivativeRange(inf, inf in at_crit, sup, sup in at_crit, crit)


def _positive_everywhere(expr: sympy.Expr) -> bool:
    d = sympy.diff(expr, X)
    # 1 - tanh² has no sign assumption in sympy; 1/cosh² does.
    return bool(d.is_positive or d.rewrite(sympy.cosh).simplify().is_positive)


def check_range(name: str, printed: str) -> CheckResult:
    """Compare the printed range of f' (e.g. "(0, 1/4]") with the exact one."""
    act = get_activation(name)
    r = derivative_range(act.expr)
    positive = _positive_everywhere(act.expr)
    exact = r.interval()
    g = autograd_derivative(name, GRID)
    evidence = {
        "printed": printed,
        "exact": exact,
        "derivative_positive_everywhere": positive,
        "critical_points": [str(c) for c in r.critical_points],
        "autograd_min_on_grid": float(g.min()),
        "autograd_max_on_grid": float(g.max()),
    }
    # autograd must see the sign sympy found: positive everywhere, or not
    numeric_ok = bool(g.min() > 0) == positive and abs(float(g.max()) - float(r.sup)) < ABS_TOL_FP64
    # An independent sympy route to the same set: calculus.util.function_range.
    other = function_range(sympy.diff(act.expr, X), X, sympy.S.Reals)
    evidence["sympy_function_range"] = str(other)
    numeric_ok &= other == _as_set(exact)
    sign = "is positive for every real x" if positive else "is not positive everywhere"
    crit = ", ".join(map(str, r.critical_points)) or "none"
    summary = (
        f"{name}'(x) {sign} (sympy), has infimum {r.inf} "
        f"({'attained' if r.inf_attained else 'approached only as x → ±∞'}) and supremum "
        f"{r.sup} ({'attained' if r.sup_attained else 'not attained'}; critical points of f': "
        f"{crit}): the range is {exact}; the text prints {printed}. Autograd on 2401 points in "
        f"[-12, 12] {'agrees' if numeric_ok else 'does not agree'} (min {float(g.min()):.6g}, "
        f"max {float(g.max()):.6g}; sympy function_range {other})."
    )
    if exact == printed:
        if numeric_ok:
            return confirmed("symbolic", summary, **evidence)
        return inconclusive("symbolic", summary + " The exact range matches the printed one but"
                            " the numeric cross-checks do not.", **evidence)  # fmt: skip
    edit = f"replace {printed!r} by {exact!r}"
    return refuted(
        "symbolic",
        summary + f" One edit reconciles the text: {edit}.",
        Correction(
            f"{name}'(x) ∈ {exact}",
            f"sympy: f' {sign}; critical points {crit} give the supremum {r.sup}; the"
            f" infimum {r.inf} is {'attained' if r.inf_attained else 'a limit at ±∞'};"
            f" autograd {'agrees' if numeric_ok else 'disagrees'} on the grid.",
        ),
        readings=[
            reading(f"{printed} as interval notation", False, exact=exact),
            reading(f"{printed} as 'values between the endpoints', brackets not meant", True,
                    reasonable=False, why="the text writes brackets deliberately: the "
                    "neighbouring range of sigmoid' is printed with ']'"),
        ],
        edit=edit,
        **evidence,
    )


def _as_set(interval: str) -> sympy.Set:
    """'(0, 1/4]' -> Interval.Lopen(0, 1/4)."""
    lo, hi = (sympy.sympify(v.strip(" ()[]")) for v in interval.split(","))
    return sympy.Interval(lo, hi, interval[0] == "(", interval[-1] == ")")


def value_range(expr: sympy.Expr) -> sympy.Set:
    """The image of R under ``expr``; a two-branch Piecewise is split at 0.

    Examples
    --------
    >>> value_range(get_activation("relu").expr)
    Interval(0, oo)
    """
    if not expr.has(sympy.Piecewise):
        return function_range(expr, X, sympy.S.Reals)
    right = function_range(branch(expr, "+"), X, sympy.Interval.open(0, sympy.oo))
    left = function_range(branch(expr, "-"), X, sympy.Interval(-sympy.oo, 0))
    return sympy.Union(left, right)


def check_value_range(name: str, printed: str) -> CheckResult:
    """The printed value range of an activation, e.g. "(0, 1)", against sympy and torch."""
    act = get_activation(name)
    exact = value_range(act.expr)
    claimed = _as_set(printed)
    y = act.reference(GRID)
    lo, hi = float(claimed.inf), float(claimed.sup)
    above = y > lo if claimed.left_open else y >= lo
    below = y < hi if claimed.right_open else y <= hi
    inside = bool((above & below).all())
    return decided(
        exact == claimed and inside,
        "symbolic",
        f"sympy's function_range of {act.expr} over the reals is {exact}; the text prints "
        f"{printed}. The torch reference on 2401 float64 points in [-12, 12] stays inside the "
        f"printed set: {inside} (min {float(y.min()):.4g}, max {float(y.max()):.4g}).",
        exact=str(exact),
        printed=printed,
        torch_min=float(y.min()),
        torch_max=float(y.max()),
    )


def check_sigmoid_max_gradient() -> CheckResult:
    """003 §5.2: the maximum of the sigmoid gradient is 0.25 (and tanh's is 1 at 0)."""
    rs = derivative_range(get_activation("sigmoid").expr)
    rt = derivative_range(get_activation("tanh").expr)
    gs = autograd_derivative("sigmoid", GRID)
    gt = autograd_derivative("tanh", GRID)
    holds = rs.sup == sympy.Rational(1, 4) and rs.sup_attained and rt.sup == 1
    holds &= rt.critical_points == (0,) and abs(float(gs.max()) - 0.25) < ABS_TOL_FP64
    return decided(
        holds,
        "symbolic",
        f"sympy: sigmoid' has its only critical point at x = 0 with value {rs.sup}, "
        f"tanh' at x = 0 with value {rt.sup}; autograd maxima on 2401 points in [-12, 12]: "
        f"{float(gs.max()):.6g} and {float(gt.max()):.6g}.",
        sigmoid_max=str(rs.sup),
        tanh_max=str(rt.sup),
        argmax=[str(c) for c in rs.critical_points],
    )


def check_sigmoid_derivative_identity() -> CheckResult:
    """001 eq. (2.5): g'(z) = g(z)(1 − g(z)), symbolic and against autograd."""
    g = get_activation("sigmoid").expr
    residual = sympy.simplify(sympy.diff(g, X) - g * (1 - g))
    s = torch.sigmoid(GRID)
    err = max_abs_diff(autograd_derivative("sigmoid", GRID), s * (1 - s))
    return decided(
        residual == 0 and err < ABS_TOL_FP64,
        "symbolic",
        f"sympy simplifies d/dz 1/(1+e^-z) − g(1−g) to {residual}; autograd vs g(1−g) on "
        f"2401 float64 points in [-12, 12]: max |difference| {err:.2e}.",
        residual=str(residual),
        autograd_max_abs_diff=err,
    )


def check_table_row(name: str, derivative: sympy.Expr, at: dict[float, str]) -> CheckResult:
    """One row of 004 §3.4.3: the printed derivative and its printed values at points.

    ``at`` maps x to the printed value: an exact number, or "≈0" (below
    APPROX_ZERO_REL of the derivative's maximum on the grid).
    """
    act = get_activation(name)
    residual = sympy.simplify(sympy.diff(act.expr, X) - derivative)
    auto = autograd_derivative(name, GRID)
    printed_on_grid = sympy_on_grid(derivative, GRID)
    away = GRID != 0  # the kink of ReLU is checked separately
    err = max_abs_diff(auto[away], printed_on_grid[away])
    peak = float(auto.max())
    rows, ok = [], residual == 0 and err < ABS_TOL_FP64
    for x, printed in at.items():
        value = float(autograd_derivative(name, torch.tensor([x], dtype=torch.float64))[0])
        if printed == "≈0":
            good = abs(value) < APPROX_ZERO_REL * peak
        else:
            good = abs(value - float(sympy.sympify(printed))) < ABS_TOL_FP64
        ok &= good
        rows.append({"x": x, "printed": printed, "autograd": value, "holds": bool(good)})
    values = "; ".join(f"f'({r['x']:g}) = {r['autograd']:.3g} (printed {r['printed']})"
                       for r in rows)  # fmt: skip
    return decided(
        ok,
        "symbolic",
        f"sympy: d/dx {act.expr} − ({derivative}) simplifies to {residual}; autograd vs the "
        f"printed derivative on 2400 float64 points: max |difference| {err:.2e}; {values} "
        f"('≈0' read as below {APPROX_ZERO_REL:g}× the peak {peak:.3g}).",
        residual=str(residual),
        autograd_max_abs_diff=err,
        values=rows,
    )


def check_relu_row() -> CheckResult:
    """004 §3.4.3 ReLU row: 0 below, 1 above, undefined at 0, 'usually 1 or 0' there."""
    relu = get_activation("relu").expr
    left = sympy.diff(branch(relu, "-"), X).subs(X, 0)  # each branch is analytic at 0
    right = sympy.diff(branch(relu, "+"), X).subs(X, 0)
    xs = torch.tensor([-3.0, -1e-9, 1e-9, 3.0], dtype=torch.float64)
    auto = autograd_derivative("relu", xs).tolist()
    at0 = float(autograd_derivative("relu", torch.zeros(1, dtype=torch.float64))[0])
    holds = left == 0 and right == 1 and auto == [0.0, 0.0, 1.0, 1.0] and at0 in (0.0, 1.0)
    return decided(
        holds,
        "symbolic",
        f"sympy: one-sided derivatives of max(0, x) at 0 are {left} (left) and {right} (right), "
        f"so f'(0) is undefined; autograd gives {auto} at -3, -1e-9, 1e-9, 3 and assigns "
        f"{at0:g} at 0, one of the two conventions the table mentions.",
        left_derivative=str(left),
        right_derivative=str(right),
        torch_value_at_0=at0,
    )
