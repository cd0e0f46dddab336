"""The activations and taylor claim families: verdicts, evidence, and that checks can fail."""

from __future__ import annotations

import json

import pytest
import sympy
from cnnbench.analysis.activations import claims as activation_claims
from cnnbench.analysis.activations import taylor_claims as taylor_claims
from cnnbench.analysis.activations.checks import (
    check_range,
    check_table_row,
    check_value_range,
    derivative_range,
)
from cnnbench.analysis.activations.registry import X, get_activation
from cnnbench.analysis.claims import Verdict, run_claim

CLAIMS = {c.id: c for c in (*activation_claims.CLAIMS, *taylor_claims.CLAIMS)}
REFUTED = {"activations.tanh-derivative-range", "taylor.sigmoid-expansion-eq-5-33"}


@pytest.fixture(scope="module")
def results():
    return {i: run_claim(c) for i, c in CLAIMS.items()}


def test_every_claim_runs_to_a_verdict_with_json_evidence(results):
    for i, r in results.items():
        assert r.result.verdict is not Verdict.ERROR, (i, r.result.summary)
        json.dumps(r.to_json(), allow_nan=False)
        expected = Verdict.REFUTED if i in REFUTED else Verdict.CONFIRMED
        assert r.result.verdict is expected, (i, r.result.summary)


def test_refuted_claims_carry_a_correction_and_the_edit(results):
    tanh = results["activations.tanh-derivative-range"].result
    # source: 004_e138cd620735c755.txt §3.4.11 prints (0, 1); the oracle is sympy's own
    # function_range of d/dx tanh, independent of the check's critical-point route
    from sympy.calculus.util import function_range

    exact = function_range(sympy.diff(sympy.tanh(X), X), X, sympy.S.Reals)
    assert exact == sympy.Interval.Lopen(0, 1)
    left, right = "(["[not exact.left_open], ")]"[not exact.right_open]
    shown = f"{left}{exact.inf}, {exact.sup}{right}"
    assert tanh.correction.statement == f"tanh'(x) ∈ {shown}"
    assert tanh.evidence["edit"] == f"replace '(0, 1)' by '{shown}'"
    series = results["taylor.sigmoid-expansion-eq-5-33"].result
    # source: 003_6ff731d493f5c8c8.txt eq. (5.33) prints + x²/48; the oracle is sympy.series
    # of the logistic function written out here, with mpmath's Taylor coefficients as a check
    import mpmath

    x = sympy.Symbol("x")
    poly = sympy.series(1 / (1 + sympy.exp(-x)), x, 0, 6).removeO()
    coeffs = [poly.coeff(x, k) for k in range(6)]
    numeric = mpmath.taylor(lambda t: 1 / (1 + mpmath.exp(-t)), 0, 5)
    assert all(abs(float(c) - float(n)) < 1e-15 for c, n in zip(coeffs, numeric, strict=True))
    from cnnbench.analysis.activations.taylor_checks import format_series

    assert series.correction.statement.startswith(format_series(coeffs, tail=""))
    assert series.evidence["same_magnitude_terms"] == [f"x^3 with coefficient {coeffs[3]}"]
    assert series.evidence["edits"] == [
        "'x²/48' → '−x³/48' (exponent 2→3 and sign + → −: 2 edits in one term)"
    ]


def test_range_check_refutes_a_wrong_printed_range():
    # source: 004_e138cd620735c755.txt §3.4.11 (sigmoid row), bracket deliberately flipped
    assert check_range("sigmoid", "(0, 1/4)").verdict is Verdict.REFUTED


def test_value_range_check_refutes_a_wrong_bracket():
    # source: 004_e138cd620735c755.txt §3.4.2 (3) prints [0, +inf); "(0, oo)" would be wrong
    assert check_value_range("relu", "(0, oo)").verdict is Verdict.REFUTED


def test_table_check_refutes_a_wrong_derivative():
    s = get_activation("sigmoid").expr
    wrong = check_table_row("sigmoid", s * (1 + s), {0.0: "1/4"})
    assert wrong.verdict is Verdict.REFUTED


def test_table_check_refutes_a_wrong_value():
    s = get_activation("sigmoid").expr
    assert check_table_row("sigmoid", s * (1 - s), {0.0: "1/2"}).verdict is Verdict.REFUTED


def test_derivative_range_of_sigmoid_is_exact():
    # source: 003_6ff731d493f5c8c8.txt §5.2 ("maximum value of the sigmoid gradient is 0.25")
    r = derivative_range(1 / (1 + sympy.exp(-X)))
    assert (r.inf, r.inf_attained, r.sup, r.sup_attained) == (0, False, sympy.Rational(1, 4), True)


def test_range_summary_follows_the_computed_sign():
    # x - tanh(x) has derivative tanh(x)^2, which is zero at 0: the summary must not call it
    # positive (the wording used to be fixed whatever sympy found)
    from cnnbench.analysis.activations import checks as activation_checks

    act = get_activation("tanh")
    fake = type(act)(**{**act.__dict__, "expr": X - sympy.tanh(X)})
    original = activation_checks.get_activation
    try:
        activation_checks.get_activation = lambda name: fake
        result = check_range("fake", "[0, 1)")
    finally:
        activation_checks.get_activation = original
    assert "is not positive everywhere" in result.summary
    assert "is positive for every real x" not in result.summary


def test_format_series_signs_and_powers():
    from cnnbench.analysis.activations.taylor_checks import format_series

    half, q = sympy.Rational(1, 2), sympy.Rational(1, 4)
    assert format_series([half, q, 0, sympy.Rational(-1, 48)], tail="−") == (
        "f(x) = 1/2 + x/4 − x³/48 − …"
    )
    assert format_series([0, -2, 3], tail="") == "f(x) = −2x + 3x²"
