"""The maximum-depth solvers against independent oracles on small instances.

Integer programs: exhaustive enumeration of every a with a_i >= 1 in exact
rational arithmetic (a_i <= z / ((k-1) 2^(i-1)) holds for any network whose
receptive field fits the image, so the enumeration is complete); the
"derived" version is enumerated against the text's definitions measured on
the real layer stack (receptive field of each stage's last conv from
:mod:`cnnbench.analysis.receptive.formulas`, c-value = k*2^(l-1)/RF), not against the
program's matrices. LP relaxations: every vertex of the polytope.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from cnnbench.analysis.maxdepth.checks import stage_stack
from cnnbench.analysis.maxdepth.problem import make_problem, solve_max_depth
from cnnbench.analysis.receptive.formulas import receptive_field
from cnnbench.analysis.receptive.parse import parse_layers
from hypothesis import given, settings
from hypothesis import strategies as st


def _printed_ok(a, z, k, t) -> bool:
    """(4.3)-(4.4) as printed, in exact rationals."""
    s = 0
    for l, x in enumerate(a, start=1):
        s += 2 ** (l - 1) * x
        if s > Fraction(2**l * k) / (t * (k - 1)):
            return False
    return s <= Fraction(z, k - 1)


def _defined_ok(a, z, k, t) -> bool:
    """The definitions on the real stack: c-value >= t per stage, RF <= z at the end."""
    rows = receptive_field(parse_layers(stage_stack(a, k))).rows
    convs = [r for r in rows if r.layer.kind == "conv"]
    ends = list(itertools.accumulate(a))
    for l, end in enumerate(ends, start=1):
        if Fraction(k * 2 ** (l - 1), convs[end - 1].size) < t:
            return False
    return convs[-1].size <= z


def brute_force(z: int, k: int, t: Fraction, version: str):
    """(best total, optimal n's, number of optimal a vectors) over every a_i >= 1."""
    ok = _printed_ok if version == "printed" else _defined_ok
    best, winners = None, []
    for n in range(1, z.bit_length() + 1):  # n <= floor(log2 z) + 1
        frontier = [()]
        for i in range(n):
            # a prefix of a feasible a is feasible (S_l and the receptive field only grow
            # with more layers), so infeasible prefixes are pruned as we go
            cap = z // ((k - 1) * 2**i)
            frontier = [(*p, x) for p in frontier for x in range(1, cap + 1)
                        if ok((*p, x), z, k, t)]  # fmt: skip
        for a in frontier:
            if ok(a, z, k, t):
                if best is None or sum(a) > best:
                    best, winners = sum(a), [a]
                elif sum(a) == best:
                    winners.append(a)
    return best, sorted({len(a) for a in winners}), len(winners)


def lp_by_vertices(program: dict) -> float:
    """Best objective over the vertices of {A_ub a <= b_ub, a >= lower}."""
    a_ub, b_ub = np.array(program["A_ub"]), np.array(program["b_ub"])
    n = a_ub.shape[1]
    rows = np.vstack([a_ub, -np.eye(n)])
    rhs = np.concatenate([b_ub, -program["bounds"][0] * np.ones(n)])
    best = -np.inf
    for idx in itertools.combinations(range(len(rows)), n):
        m = rows[list(idx)]
        if abs(np.linalg.det(m)) < 1e-12:
            continue
        x = np.linalg.solve(m, rhs[list(idx)])
        if np.all(rows @ x <= rhs + 1e-9):
            best = max(best, float(x.sum()))
    return best


# dyadic t: exact in binary, so the float the solver sees is the rational the oracle sees
T_VALUES = (Fraction(1, 4), Fraction(3, 8), Fraction(1, 2), Fraction(3, 4), Fraction(1))


@pytest.mark.parametrize("version", ["printed", "derived"])
@pytest.mark.parametrize(
    ("z", "k", "t"),
    [
        (24, 3, Fraction(1, 2)),
        (16, 3, Fraction(1, 4)),
        (20, 2, Fraction(1, 2)),
        (30, 5, Fraction(3, 4)),
    ],
)
def test_integer_optimum_matches_brute_force(z, k, t, version):
    # source: 003_6ff731d493f5c8c8.txt §4.3 eqs. (4.2)-(4.4) and the definitions before them
    best, ns, count = brute_force(z, k, t, version)
    sol = solve_max_depth(z, k, float(t), constraints=version, integer=True)
    assert sol.total == best
    assert list(sol.optimal_n) == ns
    assert sol.unique == (count == 1)


@settings(max_examples=15, deadline=None)
@given(
    st.integers(4, 32),
    st.sampled_from((3, 5)),
    st.sampled_from(T_VALUES),
    st.sampled_from(("printed", "derived")),
)
def test_integer_optimum_matches_brute_force_random(z, k, t, version):
    best, ns, count = brute_force(z, k, t, version)
    sol = solve_max_depth(z, k, float(t), constraints=version, integer=True)
    if best is None:
        assert not sol.feasible
    else:
        assert (sol.total, list(sol.optimal_n), sol.unique) == (best, ns, count == 1)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(2, 32),
    st.sampled_from((2, 3, 5, 7)),
    st.sampled_from(T_VALUES),
    st.sampled_from(("printed", "derived", "edited")),
)
def test_lp_optimum_matches_vertex_enumeration(z, k, t, version):
    sol = solve_max_depth(z, k, float(t), constraints=version)
    problem = make_problem(z, k, float(t), version)
    best = max(lp_by_vertices(problem.linear_program(n)) for n in range(1, problem.max_stages + 1))
    if not np.isfinite(best):
        assert not sol.feasible
    else:
        assert sol.total == pytest.approx(best, rel=1e-7, abs=1e-9)
