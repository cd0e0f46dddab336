"""The activations and taylor claim families: verdicts, evidence, and that checks can fail."""

from __future__ import annotations

import json

import pytest
import sympy

from analysis.activation_checks import (
    check_range,
    check_table_row,
    check_value_range,
    derivative_range,
)
from analysis.activations import X, get_activation
from analysis.claims import Verdict, run_claim
from analysis.claims import activations as activation_claims
from analysis.claims import taylor as taylor_claims

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
    # source: 004_e138cd620735c755.txt §3.4.11 prints (0, 1); tanh'(0) = 1 is attained
    assert tanh.correction.statement == "tanh'(x) ∈ (0, 1]"
    assert tanh.evidence["edit"] == "replace '(0, 1)' by '(0, 1]'"
    series = results["taylor.sigmoid-expansion-eq-5-33"].result
    # source: 003_6ff731d493f5c8c8.txt eq. (5.33) prints + x²/48
    assert series.evidence["same_magnitude_terms"] == ["x^3 with coefficient -1/48"]
    assert "− x³/48" in series.correction.statement


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
