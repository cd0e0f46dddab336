"""Maclaurin coefficients of the registered activations, exact (sympy).

An activation that is analytic at 0 has one Maclaurin series; a piecewise one
(ReLU family, ELU, the regularized ReLU) has none, but each branch is analytic,
so it has a one-sided expansion at 0⁺ (the branch for x > 0) and at 0⁻.

Radius of convergence: the distance from 0 to the nearest singularity of the
function's complex extension (Cauchy–Hadamard). The singularities are listed in
:data:`SINGULARITIES` (zeros of ``1 + e^{-z}`` for the logistic family, poles of
tanh, the branch point of ``log(1 + e^z)``); each listed point is verified to be
a zero of the denominator / argument by :func:`check_singularity`, and the tests
compare the radius with the ratio test on the exact coefficients.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from cnnbench.analysis._validation import ParameterError, as_int
from cnnbench.analysis.activations.registry import ACTIVATIONS, Activation, X, get_activation

MAX_ORDER = 40  # sympy's series grows superlinearly; 40 terms take ~seconds for sigmoid

_POS = sympy.Symbol("x", positive=True)
_NEG = sympy.Symbol("x", negative=True)

# For each activation analytic at 0: the singular point nearest 0 of its complex
# extension, the expression that vanishes (or branches) there, and why.
SINGULARITIES: dict[str, tuple[sympy.Expr, sympy.Expr, str]] = {
    "sigmoid": (sympy.I * sympy.pi, 1 + sympy.exp(-X), "pole where 1 + e^-z = 0, z = ±iπ"),
    "sigmoid_star": (sympy.I * sympy.pi, 1 + sympy.exp(-X), "pole where 1 + e^-z = 0, z = ±iπ"),
    "silu": (sympy.I * sympy.pi, 1 + sympy.exp(-X), "pole where 1 + e^-z = 0, z = ±iπ"),
    "tanh": (sympy.I * sympy.pi / 2, sympy.cosh(X), "pole where cosh z = 0, z = ±iπ/2"),
    "softplus": (sympy.I * sympy.pi, 1 + sympy.exp(X), "branch point where 1 + e^z = 0"),
}
ENTIRE = {"gelu": "x·Φ(x) with erf entire"}


@dataclass(frozen=True)
class Expansion:
    """Series of one activation at 0 up to ``order`` (coefficients c_0..c_order).

    ``maclaurin`` is None when the function is not analytic at 0 (its one-sided
    expansions differ); ``right``/``left`` are the expansions at 0⁺ and 0⁻ (equal
    to ``maclaurin`` when it exists). ``radius`` is sympy ``oo`` for entire
    functions and None where not determined.
    """

    name: str
    order: int
    maclaurin: tuple[sympy.Expr, ...] | None
    right: tuple[sympy.Expr, ...]
    left: tuple[sympy.Expr, ...]
    radius: sympy.Expr | None
    radius_reason: str

    @property
    def piecewise(self) -> bool:
        return self.maclaurin is None

    def to_json(self) -> dict:
        def strs(cs):
            return None if cs is None else [str(c) for c in cs]

        return {
            "name": self.name,
            "order": self.order,
            "analytic_at_0": not self.piecewise,
            "maclaurin": strs(self.maclaurin),
            "right": strs(self.right),
            "left": strs(self.left),
            "radius": None if self.radius is None else str(self.radius),
            "radius_float": None if self.radius is None or self.radius == sympy.oo
            else float(self.radius),
            "radius_reason": self.radius_reason,
        }


def _elementwise(activation: str | Activation) -> Activation:
    act = get_activation(activation) if isinstance(activation, str) else activation
    if act.elementwise and act.expr is None:
        raise ParameterError("name", act.name, "has no sympy form (a torch function or "
                             "module): `cnnbench activation` derives its series numerically")
    if not act.elementwise:
        names = ", ".join(n for n, a in ACTIVATIONS.items() if a.elementwise)
        raise ParameterError(
            "name", act.name, f"is not elementwise, so it has no series; use one of {names}"
        )
    return act


def branch(expr: sympy.Expr, side: str) -> sympy.Expr:
    """The analytic branch of ``expr`` (in :data:`X`) used just right (+) or left (−) of 0."""
    sym = _POS if side == "+" else _NEG
    return sympy.piecewise_fold(expr.subs(X, sym)).subs(sym, X)


def coefficients(expr: sympy.Expr, order: int) -> tuple[sympy.Expr, ...]:
    """Maclaurin coefficients c_0..c_order of an expression analytic at 0, simplified.

    Examples
    --------
    >>> coefficients(sympy.tanh(X), 5)
    (0, 1, 0, -1/3, 0, 2/15)
    """
    order = as_int("order", order, minimum=0)
    poly = sympy.series(expr, X, 0, order + 1).removeO()
    return tuple(_tidy(poly.coeff(X, k) if k else poly.subs(X, 0)) for k in range(order + 1))


def _tidy(c: sympy.Expr) -> sympy.Expr:
    """A coefficient in its simplest form; a rational first when rewriting in exp gives one
    (Mish's tanh(log 2) is 3/5), which also spares sympy.simplify its slowest cases."""
    as_exp = sympy.cancel(c.rewrite(sympy.exp))
    return as_exp if as_exp.is_Rational else sympy.simplify(c)


def expansion(activation: str | Activation, order: int = 6) -> Expansion:
    """Series of a registered elementwise activation at 0, to ``order`` (inclusive).

    Parameters
    ----------
    activation : registry name or an :class:`Activation` (e.g. with custom params).
    order : highest power kept, 0 <= order <= MAX_ORDER.

    Returns
    -------
    Expansion
        Exact coefficients (rationals where they are rational, e.g. GELU's
        involve 1/sqrt(2π)), one-sided expansions and the radius of convergence.

    References
    ----------
    003_6ff731d493f5c8c8.txt §5.5.2 eq. (5.33) (the sigmoid's expansion) and
    §5.7 observation 2 (coefficient of x at 0⁺).

    Examples
    --------
    >>> e = expansion("sigmoid", 5)
    >>> e.maclaurin, e.radius
    ((1/2, 1/4, 0, -1/48, 0, 1/480), pi)
    """
    act = _elementwise(activation)
    order = as_int("order", order, minimum=0)
    if order > MAX_ORDER:
        raise ParameterError("order", order, f"must be at most {MAX_ORDER} (sympy series cost)")
    right = _cached_coefficients(act, "+", order)
    left = _cached_coefficients(act, "-", order)
    analytic = right == left and not act.expr.has(sympy.Piecewise)
    radius, reason = _radius(act, analytic)
    return Expansion(act.name, order, right if analytic else None, right, left, radius, reason)


# sympy's series of the logistic family takes seconds at order 30; the registered
# (default-parameter) activations are immutable, so their coefficients are kept.
_CACHE: dict[tuple[str, str], tuple[sympy.Expr, ...]] = {}


def _cached_coefficients(act: Activation, side: str, order: int) -> tuple[sympy.Expr, ...]:
    if ACTIVATIONS.get(act.name) is not act:
        return coefficients(branch(act.expr, side), order)
    known = _CACHE.get((act.name, side), ())
    if len(known) <= order:
        known = coefficients(branch(act.expr, side), order)
        _CACHE[(act.name, side)] = known
    return known[: order + 1]


def _radius(act: Activation, analytic: bool) -> tuple[sympy.Expr | None, str]:
    if act.name in SINGULARITIES and act.params == ACTIVATIONS[act.name].params:
        point, _, why = SINGULARITIES[act.name]
        return sympy.Abs(point), f"nearest singularity of the complex extension: {why}"
    if act.name in ENTIRE:
        return sympy.oo, f"entire: {ENTIRE[act.name]}"
    if not analytic:
        branches = [branch(act.expr, s) for s in "+-"]
        if all(b.is_polynomial(X) or _is_exp_linear(b) for b in branches):
            return sympy.oo, "not analytic at 0; each branch (linear or exponential) is entire"
        return None, "not analytic at 0; branch radius not determined"
    return None, "not determined"


def _is_exp_linear(expr: sympy.Expr) -> bool:
    """a·(e^x − 1) and similar: polynomial in x and e^x (entire)."""
    e = sympy.Symbol("e")
    return sympy.expand(expr).subs(sympy.exp(X), e).is_polynomial(X, e)


def check_singularity(name: str) -> bool:
    """True when the listed nearest singularity of ``name`` is a zero of its vanishing part.

    Examples
    --------
    >>> check_singularity("tanh")
    True
    """
    point, vanishing, _ = SINGULARITIES[_listed(name)]
    return sympy.simplify(vanishing.subs(X, point)) == 0


def _listed(name: str) -> str:
    if name not in SINGULARITIES:
        raise ParameterError(
            "name", name, f"has no listed singularity; listed: {', '.join(SINGULARITIES)}"
        )
    return name


def slope_at_zero_plus(activation: str | Activation) -> sympy.Expr:
    """Coefficient of x in the expansion at 0⁺ (the right derivative at 0), exact.

    Examples
    --------
    >>> slope_at_zero_plus("sigmoid"), slope_at_zero_plus("sigmoid_star")
    (1/4, 1)
    """
    act = _elementwise(activation)
    right = branch(act.expr, "+")
    return _tidy(sympy.limit(sympy.diff(right, X), X, 0, "+"))


def radius_ratio_estimate(coeffs: tuple[sympy.Expr, ...]) -> float | None:
    """Ratio-test estimate ``sqrt(|c_k / c_{k+2}|)`` from the last two nonzero same-parity terms.

    The logistic and tanh families are odd (around their value at 0), so
    successive-term ratios alternate with zeros; stepping by 2 avoids them.
    """
    nonzero = [(k, c) for k, c in enumerate(coeffs) if k > 0 and c != 0]
    for (k1, c1), (k2, c2) in zip(reversed(nonzero[:-1]), reversed(nonzero), strict=False):
        if k2 - k1 == 2:
            return float(sympy.sqrt(sympy.Abs(c1 / c2)))
    return None
