"""The maximum-depth problem in symbols: constraints from the definitions, closed forms.

The constraints of 003 §4.3 are derived here from the text's two definitions
(receptive field vs image size; c-value = real filter size / receptive field)
and the closed-form optimum of each version of :mod:`cnnbench.analysis.maxdepth.problem` is
derived with sympy, for the text's assumption ``z = 2^(m-1) k / t``.

Why the closed form is the optimum (for fixed n): with ``S_l = sum_{i<=l} 2^(i-1) a_i``
the objective is ``sum a_i = sum_{l<n} S_l / 2^l + S_n / 2^(n-1)``, every weight
positive; ``a >= 0`` makes ``S`` non-decreasing, so ``S_l <= min(u_l, R_n)``
(``u_l`` the c-value cap, ``R_n`` the image cap) and, the caps being
non-decreasing in ``l``, ``S_l = min(u_l, R_n)`` is feasible and best. The best
``n`` is where the caps meet, ``u_n = R_n``; every stage then fills its c-value
cap exactly. :mod:`cnnbench.analysis.maxdepth.claims` checks this against ``linprog``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from cnnbench.analysis._validation import as_choice, as_int, as_real
from cnnbench.analysis.maxdepth.problem import CONSTRAINTS

K, T, M, Z = sp.symbols("k t m z", positive=True)
L = sp.Symbol("l", positive=True, integer=True)
Q = sp.Symbol("q", positive=True)  # pool window side (stride 2)
S = sp.Symbol("S", positive=True)  # S_l = sum_{i<=l} 2^(i-1) a_i


def receptive_field_expr(stage: sp.Expr = L) -> sp.Expr:
    """Receptive field of stage ``l``'s last conv, in pixels.

    Notes
    -----
    Each of the ``a_i`` ``k x k`` convs of stage ``i`` adds ``(k-1) 2^(i-1)`` (its
    jump is ``2^(i-1)``), each of the ``l-1`` earlier ``q x q``/2 pools adds
    ``(q-1) 2^(i-1)``: ``1 + (k-1) S_l + (q-1) (2^(l-1) - 1)``.

    Examples
    --------
    >>> receptive_field_expr().subs({K: 3, Q: 2, S: 7, L: 3})
    18
    """
    return 1 + (K - 1) * S + (Q - 1) * (2 ** (stage - 1) - 1)


def real_filter_size_expr(stage: sp.Expr = L) -> sp.Expr:
    """A ``k x k`` filter on a map downsampled ``2^(l-1)`` times spans ``k 2^(l-1)`` pixels.

    Examples
    --------
    >>> real_filter_size_expr().subs({K: 3, L: 3})
    12
    """
    return K * 2 ** (stage - 1)


def cvalue_bound_expr() -> sp.Expr:
    """Largest ``S_l`` with c-value ``>= t``: solve ``k 2^(l-1) / RF(S) = t`` for ``S``.

    Examples
    --------
    >>> sp.simplify(cvalue_bound_expr().subs(Q, 2) - 2**(L - 1) * (K/T - 1) / (K - 1))
    0
    """
    (bound,) = sp.solve(sp.Eq(real_filter_size_expr() / receptive_field_expr(), T), S)
    return sp.simplify(bound)


def image_bound_expr(n: sp.Expr = L) -> sp.Expr:
    """Largest ``S_n`` with receptive field ``<= z``: solve ``RF(S) = z`` for ``S``.

    Examples
    --------
    >>> sp.simplify(image_bound_expr().subs(Q, 2) - (Z - 2**(L - 1)) / (K - 1))
    0
    """
    (bound,) = sp.solve(sp.Eq(receptive_field_expr(n), Z), S)
    return sp.simplify(bound)


def printed_bounds() -> tuple[sp.Expr, sp.Expr]:
    """Right-hand sides of (4.3) for ``S_l`` and of (4.4), as printed."""
    return 2**L * K / (T * (K - 1)), Z / (K - 1)


def _caps(constraints: str) -> tuple[sp.Expr, sp.Expr]:
    if constraints == "printed":
        return printed_bounds()
    if constraints == "edited":
        return 2 ** (L - 1) * K / (T * (K - 1)), Z / (K - 1)
    return cvalue_bound_expr(), image_bound_expr()


@dataclass(frozen=True)
class ClosedForm:
    """Optimum of a version for ``z = 2^(m-1) k / t``: ``n``, ``a_1``, ``a_2 = ... = a_n``."""

    constraints: str
    n: sp.Expr
    a1: sp.Expr
    a_rest: sp.Expr
    total: sp.Expr

    def evaluate(self, kernel: int, t: float, m: int, pool_kernel: int = 2):
        """``(n, (a_1, ..., a_n), total)`` as Python numbers."""
        kernel = as_int("kernel", kernel, minimum=2)
        t = as_real("t", t, lower=0.0, lower_open=True)
        m = as_int("m", m, minimum=2)
        values = {K: kernel, T: sp.nsimplify(t), M: m, Q: pool_kernel}
        n = int(self.n.subs(values))
        a1, rest = float(self.a1.subs(values)), float(self.a_rest.subs(values))
        return n, (a1,) + (rest,) * (n - 1), float(self.total.subs(values))

    def to_json(self) -> dict[str, str]:
        return {"n": str(self.n), "a_1": str(self.a1), "a_2..a_n": str(self.a_rest),
                "total": str(self.total)}  # fmt: skip


def derive_closed_form(constraints: str) -> ClosedForm:
    """Derive (sympy) the LP optimum of a version under ``z = 2^(m-1) k / t``.

    ``n`` solves ``u_n = R_n`` (caps meet), ``a_1 = u_1``, and
    ``a_l = (u_l - u_(l-1)) / 2^(l-1)``, which simplifies to a constant.
    Valid for ``m >= 2`` (the printed version's ``n = m - 1`` must be a stage).

    Examples
    --------
    >>> form = derive_closed_form("printed")
    >>> form.n, form.a1, form.a_rest, form.total
    (m - 1, 2*k/(t*(k - 1)), k/(t*(k - 1)), k*m/(t*(k - 1)))
    """
    constraints = as_choice("constraints", constraints, CONSTRAINTS)
    cap, image_cap = _caps(constraints)
    image_cap = image_cap.subs(Z, 2 ** (M - 1) * K / T)
    (n,) = sp.solve(sp.Eq(cap, image_cap), L)
    n = sp.simplify(n)
    a1 = sp.simplify(cap.subs(L, 1))
    rest = sp.simplify((cap - cap.subs(L, L - 1)) / 2 ** (L - 1))
    if L in rest.free_symbols:  # pragma: no cover - holds for every version here
        raise ValueError(f"a_l of {constraints!r} depends on l: {rest}")
    return ClosedForm(constraints, n, a1, rest, sp.factor(sp.simplify(a1 + (n - 1) * rest)))


def text_closed_form(kernel: int, t: float, m: int, *, edited: bool = False):
    """(4.5)-(4.6): ``n = m``, ``a_1 = k/((k-1)t)``, ``a_2 = ... = a_n = 1/(2 a_1)``.

    ``edited=True`` reads the last as ``a_1 / 2`` (``\\frac{1}{2}a_1`` vs ``\\frac{1}{2a_1}``).

    Examples
    --------
    >>> text_closed_form(3, 0.5, 3)  # bit-exact: Python float arithmetic
    (3, (3.0, 0.16666666666666666, 0.16666666666666666))
    """
    kernel = as_int("kernel", kernel, minimum=2)
    t = as_real("t", t, lower=0.0, lower_open=True)
    m = as_int("m", m, minimum=1)
    a1 = kernel / ((kernel - 1) * t)
    rest = a1 / 2 if edited else 1 / (2 * a1)
    return m, (a1,) + (rest,) * (m - 1)
