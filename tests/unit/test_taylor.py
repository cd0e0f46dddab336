"""Taylor coefficients against independent oracles: Bernoulli numbers, mpmath, autograd."""

from __future__ import annotations

import math

import mpmath
import pytest
import sympy
import torch
from cnnbench.analysis._validation import ParameterError
from cnnbench.analysis.activations.registry import ACTIVATIONS, get_activation, make_activation
from cnnbench.analysis.activations.taylor import (
    MAX_ORDER,
    SINGULARITIES,
    check_singularity,
    expansion,
    radius_ratio_estimate,
    slope_at_zero_plus,
)

ANALYTIC = ("sigmoid", "tanh", "sigmoid_star", "softplus", "gelu", "silu")
PIECEWISE = ("relu", "leaky_relu", "leaky_relu_xa", "prelu", "rrelu", "regularized_relu", "elu")
MP_TOL = 1e-12  # mpmath's numerical Taylor coefficients at 30 digits, low orders


def _tanh_bernoulli(k: int) -> sympy.Rational:
    """x^k coefficient of tanh: 2^{2n}(2^{2n}-1) B_{2n} / (2n)! for k = 2n-1 (textbook)."""
    if k % 2 == 0:
        return sympy.S.Zero
    n = (k + 1) // 2
    return 2 ** (2 * n) * (2 ** (2 * n) - 1) * sympy.bernoulli(2 * n) / sympy.factorial(2 * n)


def test_tanh_coefficients_match_bernoulli_formula():
    # source: paper (Abramowitz & Stegun 4.5.64); 003 §5.5.2 compares Sigmoid* with Tanh
    e = expansion("tanh", 15)
    assert e.maclaurin == tuple(_tanh_bernoulli(k) for k in range(16))


def test_sigmoid_is_half_plus_half_tanh_of_half_x():
    # source: 003_6ff731d493f5c8c8.txt eq. (5.33): coefficients from the tanh identity
    e = expansion("sigmoid", 11)
    expected = [sympy.Rational(1, 2)] + [
        _tanh_bernoulli(k) / 2 ** (k + 1) for k in range(1, 12)
    ]
    assert list(e.maclaurin) == expected
    assert e.maclaurin[3] == sympy.Rational(-1, 48) and e.maclaurin[2] == 0


@pytest.mark.parametrize("name", ANALYTIC)
def test_coefficients_match_mpmath_numerical_taylor(name):
    act = get_activation(name)
    f = sympy.lambdify(sympy.Symbol("x", real=True), act.expr, modules="mpmath")
    with mpmath.workdps(30):
        numeric = mpmath.taylor(f, 0, 6)
    e = expansion(name, 6)
    for k, (exact, approx) in enumerate(zip(e.maclaurin, numeric, strict=True)):
        assert abs(float(exact) - float(approx)) < MP_TOL, (name, k)


@pytest.mark.parametrize("name", (*ANALYTIC[:4], "silu"))
def test_rational_where_the_function_is_logistic_or_tanh(name):
    coeffs = expansion(name, 8).maclaurin[1:]  # softplus's constant is log 2
    assert all(c.is_Rational for c in coeffs)


@pytest.mark.parametrize("name", PIECEWISE)
def test_piecewise_have_one_sided_expansions(name):
    e = expansion(name, 4)
    assert e.piecewise and e.maclaurin is None and e.right != e.left


def test_elu_left_branch_is_exponential():
    # source: paper (Clevert et al. 2016): alpha (e^x - 1) for x < 0
    e = expansion(make_activation("elu", alpha=2.0), 4)
    assert e.left == (0, 2, 1, sympy.Rational(1, 3), sympy.Rational(1, 12))
    assert e.right == (0, 1, 0, 0, 0)


@pytest.mark.parametrize("name", sorted(SINGULARITIES))
def test_radius_matches_ratio_test_on_exact_coefficients(name):
    e = expansion(name, 16)
    estimate = radius_ratio_estimate(e.maclaurin)
    # softplus's coefficients carry a 1/k factor (it integrates sigmoid), so the
    # two-step ratio converges like 1 + O(1/k): within 15% at k = 16. The others' next singularity
    # is at 3x the distance, so their estimate converges like 3^-k.
    tol = 0.15 if name == "softplus" else 1e-5
    assert math.isclose(estimate, float(e.radius), rel_tol=tol)


@pytest.mark.parametrize("name", sorted(SINGULARITIES))
def test_listed_singularity_is_a_zero(name):
    assert check_singularity(name)


@pytest.mark.parametrize("name", [n for n, a in ACTIVATIONS.items() if a.elementwise])
def test_slope_at_zero_plus_matches_autograd_just_right_of_zero(name):
    # Autograd at a tiny positive x takes the x > 0 branch; smooth ones are continuous.
    a = get_activation(name)
    x = torch.tensor([1e-9], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(a.reference(x).sum(), x)
    assert math.isclose(float(slope_at_zero_plus(name)), float(g), rel_tol=1e-7)


def test_slope_one_at_zero_plus_for_thesis_converging_set():
    # source: 003_6ff731d493f5c8c8.txt §5.7 obs. 2 and Table 5.3
    assert [slope_at_zero_plus(n) for n in ("relu", "rrelu", "tanh", "sigmoid_star")] == [1] * 4
    assert slope_at_zero_plus("sigmoid") == sympy.Rational(1, 4)


def test_expansion_json_is_strings():
    j = expansion("softplus", 2).to_json()
    assert j["maclaurin"] == ["log(2)", "1/2", "1/8"] and j["radius"] == "pi"


# --- one test per error message -------------------------------------------------


def test_error_order_negative():
    with pytest.raises(ParameterError, match=r"`order`=-1 must be a non-negative integer"):
        expansion("tanh", -1)


def test_error_order_too_large():
    with pytest.raises(ParameterError, match=rf"`order`={MAX_ORDER + 1} must be at most"):
        expansion("tanh", MAX_ORDER + 1)


def test_error_softmax_has_no_series():
    with pytest.raises(ParameterError, match=r"`name`='softmax' is not elementwise"):
        expansion("softmax", 3)


def test_error_unknown_activation():
    with pytest.raises(ParameterError, match=r"`name`='swoosh' must be one of"):
        slope_at_zero_plus("swoosh")


def test_error_singularity_not_listed():
    with pytest.raises(ParameterError, match=r"`name`='relu' has no listed singularity"):
        check_singularity("relu")
