"""The maximum-depth design problem of 003 §4.3, as linear and integer programs.

A network of ``n`` stages on a ``z x z`` image; stage ``i`` stacks ``a_i``
``k x k`` stride-1 convolutions and ends in a stride-2 max pool. Maximise
the depth ``sum a_i`` (eq. 4.2) subject to, for every stage ``l``, a c-value
constraint and, for the last stage, a receptive-field-vs-image constraint.
With ``S_l = sum_{i<=l} 2^(i-1) a_i`` every version is linear in ``a``:

- printed: ``S_l <= 2^l k / (t (k-1))`` (4.3) and ``S_n <= z / (k-1)`` (4.4)
- edited: ``S_l <= 2^(l-1) k / (t (k-1))`` and ``S_n <= z / (k-1)``
- derived: ``S_l <= (2^(l-1) k/t - 1 - (q-1)(2^(l-1)-1)) / (k-1)`` and
  ``S_n <= (z - 1 - (q-1)(2^(n-1)-1)) / (k-1)``

(``l = 1..n`` for the c-value constraints).

"derived" follows from the text's definitions alone (see :mod:`cnnbench.analysis.maxdepth.theory`):
the receptive field of stage ``l``'s last conv is ``1 + (k-1) S_l + (q-1)(2^(l-1)-1)``
with ``q x q``/2 pools (``q = 2`` unless given), the real filter size of a stage-``l``
conv is ``k 2^(l-1)`` (a ``k x k`` filter on a map downsampled ``2^(l-1)`` times), and
the c-value is their ratio. "edited" is "printed" with ``2^l`` read as ``2^(l-1)``.

``n`` is a variable: the problem is solved for every ``n = 1 .. floor(log2 z) + 1``
(stage ``n`` works on a ``z / 2^(n-1)`` map, which must hold a pixel) and the best
``n`` kept. For each ``n`` the linear program handed to ``scipy.optimize.linprog`` is::

    minimise   c @ a          c = (-1, ..., -1)                     (n entries)
    subject to A_ub @ a <= b_ub
               A_ub[l-1, i-1] = 2^(i-1) if i <= l else 0,  l = 1..n  (c-value rows)
               A_ub[n,   i-1] = 2^(i-1)                               (image row)
               b_ub = the right-hand sides of the table above
               a_i >= 0                                (LP relaxation, eq. 4.6's reals)

and the integer program handed to ``scipy.optimize.milp`` has the same ``c`` and
``A_ub``, ``a_i >= 1`` and integral, and ``b_ub`` rounded down to integers (``A_ub @ a``
is then an integer, so this changes nothing but float noise in ``t``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from cnnbench.analysis._validation import ParameterError, as_choice, as_int, as_real
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

CONSTRAINTS = ("printed", "derived", "edited")
MAX_SIDE = 2**30  # image (and kernel) side in pixels: 31 stages at most
# Smallest t: the c-value bounds 2^l k/(t (k-1)) stay finite (l <= 31) and exceed any image
# bound z/(k-1) <= 2^30 by far, so every smaller t has the same optimum.
MIN_T = 1e-250

# HiGHS solves to primal/dual feasibility 1e-7; optima closer than this are ties.
OPT_TOL = 1e-7
# Float noise in t (0.3 is not 3/10) must not move an integer bound across an integer.
INT_SNAP = 1e-9
INFEASIBLE = 2  # status code of linprog and milp alike


@dataclass(frozen=True)
class MaxDepthProblem:
    """What was asked: image size ``z``, kernel ``k``, minimum c-value ``t``, version."""

    image: float
    kernel: int
    t: float
    constraints: str = "printed"
    pool_kernel: int = 2  # q, used by "derived" only

    @property
    def max_stages(self) -> int:
        """Largest ``n`` considered: stage ``n``'s map ``z/2^(n-1)`` holds a pixel."""
        return math.floor(math.log2(self.image) + INT_SNAP) + 1

    def cvalue_rhs(self, stage: int) -> float:
        """Right-hand side of the c-value constraint on ``S_stage``."""
        k, t, q, half = self.kernel, self.t, self.pool_kernel, 2.0 ** (stage - 1)
        if self.constraints == "printed":
            return 2.0 * half * k / (t * (k - 1))
        if self.constraints == "edited":
            return half * k / (t * (k - 1))
        return (half * k / t - 1 - (q - 1) * (half - 1)) / (k - 1)

    def image_rhs(self, n: int) -> float:
        """Right-hand side of the image constraint on ``S_n``."""
        k, q = self.kernel, self.pool_kernel
        if self.constraints == "derived":
            return (self.image - 1 - (q - 1) * (2.0 ** (n - 1) - 1)) / (k - 1)
        return self.image / (k - 1)

    def linear_program(self, n: int, integer: bool = False) -> dict[str, Any]:
        """``c``, ``A_ub``, ``b_ub`` and bounds of the program for ``n`` stages (JSON-ready)."""
        weights = [2.0 ** (i - 1) for i in range(1, n + 1)]
        a_ub = [[w if i < row else 0.0 for i, w in enumerate(weights)] for row in range(1, n + 1)]
        a_ub.append(weights)
        b_ub = [self.cvalue_rhs(row) for row in range(1, n + 1)] + [self.image_rhs(n)]
        if integer:
            b_ub = [float(math.floor(b + INT_SNAP)) for b in b_ub]
        lower = 1.0 if integer else 0.0
        return {"n": n, "c": [-1.0] * n, "A_ub": a_ub, "b_ub": b_ub,
                "bounds": [lower, None], "integrality": int(integer)}  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {"image": self.image, "kernel": self.kernel, "t": self.t,
                "constraints": self.constraints, "pool_kernel": self.pool_kernel}  # fmt: skip


@dataclass(frozen=True)
class StageOptimum:
    """The optimum for one fixed number of stages ``n`` (``None`` when infeasible)."""

    n: int
    total: float | None
    a: tuple[float, ...] = ()


@dataclass(frozen=True)
class MaxDepthSolution:
    """What was observed: the optimum over all ``n``, and whether it is unique."""

    problem: MaxDepthProblem
    integer: bool
    total: float | None  # None: no network satisfies the constraints
    n: int | None  # the smallest optimal n
    a: tuple[float, ...]
    optimal_n: tuple[int, ...]  # every n attaining the optimum
    ranges: tuple[tuple[float, float], ...]  # min/max of each a_i over the optima at n
    per_n: tuple[StageOptimum, ...] = field(repr=False)

    @property
    def feasible(self) -> bool:
        return self.total is not None

    @property
    def unique(self) -> bool:
        """One optimal ``n`` and, at it, one optimal ``a``."""
        flat = all(hi - lo <= OPT_TOL * max(1.0, abs(hi)) for lo, hi in self.ranges)
        return self.feasible and len(self.optimal_n) == 1 and flat

    def notes(self) -> list[str]:
        """Plain-language remarks on (non-)uniqueness."""
        out = []
        if not self.feasible:
            return ["no n admits a network: every program is infeasible"]
        if len(self.optimal_n) > 1:
            later = [s for s in self.per_n if s.n in self.optimal_n[1:]]
            empty = all(min(s.a) <= OPT_TOL for s in later)
            tail = " (beyond the smallest, with empty stages a_i = 0)" if empty else ""
            out.append(f"optimal n is not unique: n = {', '.join(map(str, self.optimal_n))}"
                       f" all attain the optimum{tail}")  # fmt: skip
        loose = [i + 1 for i, (lo, hi) in enumerate(self.ranges) if hi - lo > OPT_TOL * max(1, hi)]
        if loose:
            names = ", ".join(f"a_{i}" for i in loose)
            out.append(f"at n = {self.n} the optimal a is not unique: {names} vary over"
                       " the optimal set (see ranges)")  # fmt: skip
        if not out:
            out.append("the optimum is unique")
        return out

    def to_json(self) -> dict[str, Any]:
        p = self.problem
        return {
            "problem": p.to_json(),
            "integer": self.integer,
            "feasible": self.feasible,
            "total_depth": self.total,
            "n": self.n,
            "a": list(self.a),
            "optimal_n": list(self.optimal_n),
            "ranges": [list(r) for r in self.ranges],
            "unique": self.unique,
            "notes": self.notes(),
            "per_n": [{"n": s.n, "total": s.total, "a": list(s.a)} for s in self.per_n],
            "program": None if self.n is None else p.linear_program(self.n, self.integer),
            "formulation": FORMULATION,
        }


FORMULATION = (
    "for each n in 1..floor(log2 z)+1: minimise c@a, c=(-1,..,-1), subject to A_ub@a <= b_ub"
    " with A_ub[l-1][i-1] = 2^(i-1) for i <= l (l=1..n, c-value rows) and a last row"
    " A_ub[n][i-1] = 2^(i-1) (image row); bounds a_i >= 0 (LP, scipy linprog) or a_i >= 1"
    " integral with b_ub rounded down (scipy milp); the best n is kept"
)


def make_problem(
    image: float, kernel: int, t: float, constraints: str = "printed", pool_kernel: int = 2
) -> MaxDepthProblem:
    """A validated :class:`MaxDepthProblem`.

    Examples
    --------
    >>> make_problem(48, 3, 0.5).max_stages
    6
    """
    image = as_real("image", image, lower=1.0)
    kernel = as_int("kernel", kernel, minimum=2)
    t = as_real("t", t, lower=0.0, lower_open=True)
    constraints = as_choice("constraints", constraints, CONSTRAINTS)
    pool_kernel = as_int("pool_kernel", pool_kernel, minimum=1)
    if image > MAX_SIDE:
        raise ParameterError("image", image, "must be at most 2**30 pixels (31 stages)")
    for name, side in (("kernel", kernel), ("pool_kernel", pool_kernel)):
        if side > MAX_SIDE:
            raise ParameterError(name, side, "must be at most 2**30 (the largest image)")
    if t < MIN_T:
        raise ParameterError("t", t, f"must be at least {MIN_T:g}: below it the c-value bounds "
                             "2^l k/(t (k-1)) overflow float64; the optimum no longer depends on t "
                             f"there (the image constraint binds), so t = {MIN_T:g} gives it")
    return MaxDepthProblem(image, kernel, t, constraints, pool_kernel)


def _solve(program: dict[str, Any], objective: np.ndarray, integer: bool, extra=None):
    """Minimise ``objective @ a`` over the program's feasible set (plus ``extra`` rows)."""
    a_ub, b_ub = np.array(program["A_ub"]), np.array(program["b_ub"])
    n = len(program["c"])
    if integer:
        rows = [LinearConstraint(a_ub, -np.inf, b_ub)]
        if extra is not None:
            rows.append(LinearConstraint(extra[0][None, :], extra[1], extra[1]))
        res = milp(objective, constraints=rows, integrality=np.ones(n),
                   bounds=Bounds(np.ones(n), np.full(n, np.inf)))  # fmt: skip
    else:
        a_eq = b_eq = None
        if extra is not None:
            a_eq, b_eq = extra[0][None, :], [extra[1]]
        res = linprog(objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                      bounds=[(0, None)] * n, method="highs")  # fmt: skip
    if res.status == INFEASIBLE:
        return None
    if res.status != 0:  # pragma: no cover - HiGHS limits or numerical trouble: never a verdict
        raise RuntimeError(f"HiGHS stopped with status {res.status}: {res.message}")
    return res


def solve_max_depth(
    image: float,
    kernel: int,
    t: float,
    *,
    constraints: str = "printed",
    integer: bool = False,
    pool_kernel: int = 2,
) -> MaxDepthSolution:
    """Maximum total depth ``sum a_i`` over every number of stages ``n``.

    Parameters
    ----------
    image : z, the image side in pixels (>= 1).
    kernel : k, the filter side (>= 2; k = 1 makes 4.3-4.4 divide by zero).
    t : the minimum c-value (> 0).
    constraints : "printed" (4.3)-(4.4), "derived" (from the definitions) or "edited".
    integer : False for the LP relaxation (a_i >= 0 real, ``linprog``), True for
        the integer program (a_i >= 1 integral, ``milp``).
    pool_kernel : q of the q x q / 2 pools ("derived" only).

    Returns
    -------
    MaxDepthSolution: optimal total, the smallest optimal n and its a, every
    optimal n, and the range of each a_i over the optimal set at n (computed by
    minimising and maximising a_i with the total held at its optimum).

    Notes
    -----
    The programs are spelt out in the module docstring and in ``to_json()['program']``.

    References
    ----------
    003_6ff731d493f5c8c8.txt §4.3, eqs. (4.2)-(4.4).

    Examples
    --------
    >>> s = solve_max_depth(48, 3, 0.5, constraints="derived")
    >>> s.n, round(s.total, 9), [round(x, 9) for x in s.a]
    (4, 6.25, [2.5, 1.25, 1.25, 1.25])
    """
    problem = make_problem(image, kernel, t, constraints, pool_kernel)
    per_n = []
    for n in range(1, problem.max_stages + 1):
        res = _solve(problem.linear_program(n, integer), -np.ones(n), integer)
        if res is None:
            per_n.append(StageOptimum(n, None))
        else:
            total = float(-res.fun)
            a = tuple(map(float, res.x))
            per_n.append(StageOptimum(n, round(total) if integer else total, a))
    feasible = [s for s in per_n if s.total is not None]
    if not feasible:
        return MaxDepthSolution(problem, integer, None, None, (), (), (), tuple(per_n))
    best = max(s.total for s in feasible)
    optimal = tuple(s.n for s in feasible if best - s.total <= OPT_TOL * max(1.0, abs(best)))
    first = next(s for s in feasible if s.n == optimal[0])
    a = tuple(float(round(x)) for x in first.a) if integer else first.a
    return MaxDepthSolution(problem, integer, best, first.n, a, optimal,
                            _ranges(problem, first.n, best, integer), tuple(per_n))  # fmt: skip


def _ranges(problem: MaxDepthProblem, n: int, best: float, integer: bool):
    """Min and max of each a_i over the optimal set of the n-stage program."""
    program = problem.linear_program(n, integer)
    total_row = (np.ones(n), best)
    out = []
    for i in range(n):
        unit = np.zeros(n)
        unit[i] = 1.0
        lo = _solve(program, unit, integer, total_row)
        hi = _solve(program, -unit, integer, total_row)
        if lo is None or hi is None:  # pragma: no cover - the optimum itself is feasible
            raise RuntimeError(f"n = {n}: the optimum {best} is infeasible in the range programs")
        out.append((float(lo.fun), float(-hi.fun)))
    return tuple(out)
