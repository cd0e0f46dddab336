"""An activation's shape: the ranges of f and f', monotonicity, and smoothness class.

With a sympy form the limits at ±∞ and the branch points are exact (sympy) and
the extrema between them are read off a dense float64 grid (``GRID``); without
one (a torch function) everything is read off the grid, and ``how`` says so.
"""

from __future__ import annotations

import math

import sympy
import torch
from cnnbench.analysis.activations.registry import Activation, X

GRID = torch.linspace(-60.0, 60.0, 240_001, dtype=torch.float64)  # step 5e-4
FLAT = 1e-12  # |f'| below this on the grid counts as flat (monotone, not strictly)
MAX_SMOOTH_ORDER = 4  # derivatives checked for continuity at each branch point
END_SPAN, END_FLAT = 2001, 1e-12  # the grid's last 1.0 on each side; how flat counts as a limit


def local_branch(expr: sympy.Expr, x0: float) -> sympy.Expr:
    """The analytic branch of ``expr`` active at ``x0`` (Piecewise, Max/Min, Abs resolved).

    sympy's own one-sided limits of a Piecewise are unreliable (its limit of
    ``Piecewise((1, x > 0), (0, True))`` at 0⁺ is 0), so limits are taken of
    the branch instead.

    Examples
    --------
    >>> local_branch(sympy.Max(0, X) + sympy.Abs(X - 2), 1.0)
    2
    """
    def rep(e: sympy.Basic) -> sympy.Basic:
        if isinstance(e, sympy.Piecewise):
            for val, cond in e.args:
                if cond is sympy.true or bool(cond.subs(X, x0)):
                    return rep(val)
        if isinstance(e, sympy.Max | sympy.Min):
            vals = [(float(a.subs(X, x0)), a) for a in e.args]
            pick = max(vals, key=lambda v: v[0]) if isinstance(e, sympy.Max) else min(
                vals, key=lambda v: v[0])  # fmt: skip
            return rep(pick[1])
        if isinstance(e, sympy.Abs):
            a = e.args[0]
            return rep(a) if float(a.subs(X, x0)) >= 0 else -rep(a)
        if isinstance(e, sympy.sign | sympy.Heaviside):
            v = float(e.args[0].subs(X, x0))
            return sympy.Integer((v > 0) - (v < 0)) if isinstance(e, sympy.sign) else \
                sympy.Integer(int(v > 0))
        return e.func(*[rep(a) for a in e.args]) if e.args else e

    return rep(expr)


def _limits(expr: sympy.Expr | None, values: torch.Tensor) -> tuple[float | None, float | None]:
    """f's limits at ±∞: the grid's end value where f is flat there (to ``END_FLAT`` over
    the last ``END_SPAN`` points), else sympy's limit of the branch active far out."""
    if expr is None:
        return None, None
    far = 10.0 + max([abs(float(p)) for p in breakpoints(expr)], default=0.0)
    out = []
    for end, x0, tail in ((-sympy.oo, -far, values[:END_SPAN]),
                          (sympy.oo, far, values[-END_SPAN:])):  # fmt: skip
        if bool(torch.isfinite(tail).all()) and float(tail.max() - tail.min()) <= END_FLAT:
            out.append(float(tail[0] if end is -sympy.oo else tail[-1]))
            continue
        try:
            v = sympy.limit(local_branch(expr, x0), X, end)
            out.append(float(v) if v.is_real or v.is_infinite else None)
        except (NotImplementedError, TypeError, ValueError):
            out.append(None)
    return out[0], out[1]


# A bound counts as attained when f meets it (to rounding) on [-10, 10] or at a branch
# point: far out, float64 rounds tanh(x) to exactly 1 from x ~ 19, which attains nothing.
ATTAIN_SPAN = 10.0
ATTAIN_TOL = 1e-12


def _range(values: torch.Tensor, limits: tuple[float | None, float | None],
           at_points: torch.Tensor) -> dict:  # fmt: skip
    lo, hi = float(values.min()), float(values.max())
    ends = [v for v in limits if v is not None]
    low, high = min([lo, *ends]), max([hi, *ends])
    inner = torch.cat([values[GRID.abs() <= ATTAIN_SPAN], at_points])

    def attained(b: float) -> bool:
        return math.isfinite(b) and bool(((inner - b).abs() <= ATTAIN_TOL * max(1, abs(b))).any())

    return {"low": low, "high": high, "low_attained": attained(low),
            "high_attained": attained(high)}  # fmt: skip


def value_ranges(act: Activation) -> dict:
    """Ranges of f and f' on R, and whether f is monotone."""
    with torch.no_grad():
        f, d = act.reference(GRID.clone()), act.derivative(GRID.clone())
    symbolic = act.expr is not None
    how = ("limits at ±inf: the grid's end where f is flat to 1e-12 over its last 1.0, else "
           "sympy; extrema on a float64 grid over [-60, 60] (step 5e-4)"
           if symbolic else "numeric: a float64 grid over [-60, 60] (step 5e-4), autograd "
           "derivative; behaviour beyond it not known")  # fmt: skip
    dexpr = sympy.diff(act.expr, X) if symbolic else None
    dmin = float(d.min())
    monotone = ("increasing" if dmin > FLAT else "nondecreasing" if dmin >= -FLAT else
                "decreasing" if float(d.max()) < -FLAT else "not monotone")  # fmt: skip
    pts = torch.tensor([float(p) for p in breakpoints(act.expr)] if symbolic else [],
                       dtype=torch.float64)  # fmt: skip
    with torch.no_grad():
        fp, dp = act.reference(pts), (act.derivative(pts) if len(pts) else pts)
    return {"value": _range(f, _limits(act.expr, f), fp),
            "derivative": _range(d, _limits(dexpr, d), dp),
            "monotone": monotone, "how": how}  # fmt: skip


def breakpoints(expr: sympy.Expr) -> list[sympy.Expr]:
    """Real points where ``expr`` switches branch (Piecewise, Max/Min, Abs, sign, Heaviside).

    Examples
    --------
    >>> breakpoints(sympy.Min(sympy.Max(0, X), 6)), breakpoints(X * sympy.Abs(X - 1))
    ([0, 6], [1])
    """
    eqs = []
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Piecewise):
            for _, cond in node.args:
                eqs += [a.lhs - a.rhs for a in sympy.preorder_traversal(cond)
                        if isinstance(a, sympy.core.relational.Relational)]  # fmt: skip
        elif isinstance(node, sympy.Max | sympy.Min):
            args = node.args
            eqs += [a - b for i, a in enumerate(args) for b in args[i + 1 :]]
        elif isinstance(node, sympy.Abs | sympy.sign | sympy.Heaviside):
            eqs.append(node.args[0])
    points = set()
    for e in eqs:
        if X in e.free_symbols:
            points.update(p for p in sympy.solve(e, X) if p.is_real)
    return sorted(points, key=float)


def smoothness(act: Activation) -> dict:
    """C^k class: the highest order k whose derivatives are continuous at every branch point."""
    if act.expr is None:
        return {"class": "not determined", "breakpoints": [],
                "how": "numeric activation: no sympy form to find branch points"}  # fmt: skip
    points = breakpoints(act.expr)
    if not points:
        return {"class": "C^inf", "breakpoints": [],
                "how": "no branch points: a composition of analytic functions"}  # fmt: skip
    worst, first_jump = MAX_SMOOTH_ORDER, {}
    floats = [float(p) for p in points]
    for i, p in enumerate(points):
        gaps = [abs(floats[i] - q) for j, q in enumerate(floats) if j != i]
        delta = min(gaps, default=2.0) / 2
        sides = [local_branch(act.expr, floats[i] + d) for d in (-delta, delta)]
        for k in range(MAX_SMOOTH_ORDER + 1):
            left, right = (sympy.limit(sympy.diff(b, X, k), X, p) for b in sides)
            if sympy.simplify(left - right) != 0:
                first_jump[str(p)] = {"order": k, "left": str(left), "right": str(right)}
                worst = min(worst, k - 1)
                break
    cls = ("discontinuous" if worst < 0 else f"C^{worst}" if worst < MAX_SMOOTH_ORDER
           else f"C^{MAX_SMOOTH_ORDER} at least")  # fmt: skip
    return {"class": cls, "breakpoints": [str(p) for p in points], "jumps": first_jump,
            "how": f"one-sided sympy limits of f, f', ..., f^({MAX_SMOOTH_ORDER}) at each "
            "branch point"}  # fmt: skip
