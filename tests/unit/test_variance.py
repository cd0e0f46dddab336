"""Variance maps, Gaussian moments and initialisations against real oracles."""

from __future__ import annotations

import math

import pytest
import sympy as sp
import torch
import torch.nn.functional as F
from cnnbench.analysis._validation import ParameterError
from cnnbench.analysis.variance.init_schemes import INIT_SCHEMES, get_init, layer_sigmas
from cnnbench.analysis.variance.maps import fixed_point, forward_map, stack_fans, variance_profile
from cnnbench.analysis.variance.moments import (
    activation_moments,
    gaussian_expectation,
    gaussian_expectation_quad,
    rrelu_slope_moments,
)

ELEMENTWISE = ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "rrelu", "sigmoid_star",
               "regularized_relu", "softplus", "elu", "gelu", "silu")  # fmt: skip


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("q", [1e-4, 0.3, 1.0, 25.0, 1e4])
def test_gauss_legendre_matches_scipy_quad(name, q):
    # source: 003 §5.5.1 (the maps' Gaussian moments); oracle: scipy.integrate.quad
    m = activation_moments(name)
    for g in (m.value, m.square, m.dsquare):
        scale = gaussian_expectation_quad(lambda x, g=g: g(x).abs(), q)
        assert gaussian_expectation(g, q) == pytest.approx(
            gaussian_expectation_quad(g, q), abs=1e-9 * max(scale, 1e-300))


def test_relu_second_moment_is_half_the_variance_by_sympy():
    # source: 003 eq. (5.29); oracle: sympy integration of the Gaussian density
    y = sp.Symbol("y", real=True)
    q = sp.Rational(7, 3)
    exact = sp.integrate(y**2 * sp.exp(-(y**2) / (2 * q)) / sp.sqrt(2 * sp.pi * q), (y, 0, sp.oo))
    got = gaussian_expectation(activation_moments("relu").square, 7 / 3)
    assert got == pytest.approx(float(exact), rel=1e-12)


def test_rrelu_training_moments_match_torch_sampling():
    # source: 003 eqs. (5.6)-(5.7); oracle: torch's own random-slope RReLU
    torch.manual_seed(0)
    x = torch.full((400_000,), -2.0, dtype=torch.float64)
    y = F.rrelu(x, 1 / 8, 1 / 3, training=True)
    m = activation_moments("rrelu")
    assert float(y.square().mean()) == pytest.approx(float(m.square(x[:1])), rel=3e-3)
    assert rrelu_slope_moments(1 / 8, 1 / 3)[0] == pytest.approx(float((y / x).mean()), rel=3e-3)


@pytest.mark.parametrize("name", sorted(INIT_SCHEMES))
@pytest.mark.parametrize("make", [lambda: torch.nn.Linear(300, 200, dtype=torch.float64),
                                  lambda: torch.nn.Conv2d(16, 32, 3, dtype=torch.float64)])
def test_init_variance_matches_torch_draws(name, make):
    # source: Glorot & Bengio 2010; He et al. 2015; torch.nn.Linear docs. Oracle: torch.nn.init
    torch.manual_seed(1)
    layer = make()
    get_init(name).apply(layer)
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(layer.weight)
    target = get_init(name).weight_var(fan_in, fan_out)
    se = math.sqrt(2.0 / layer.weight.numel()) * target  # kurtosis ≤ 3: 2σ⁴/N bounds it
    assert float(layer.weight.detach().var()) == pytest.approx(target, abs=5 * se)
    b_target = get_init(name).bias_var(fan_in)
    if b_target == 0:
        assert float(layer.bias.detach().abs().max()) == 0.0  # bit-exact: zero init
    else:
        assert float(layer.bias.detach().var()) == pytest.approx(b_target, rel=0.5)


def test_relu_kaiming_profile_is_exactly_critical():
    # source: He et al. 2015 eq. (10); 003 eq. (5.31) corrected
    p = variance_profile("relu", "kaiming_fan_in", depth=4, width=50)
    assert [r.q for r in p.layers] == pytest.approx([2.0] * 4, rel=1e-12)
    assert [r.chi for r in p.layers] == pytest.approx([1.0] * 4, rel=1e-12)


def test_sigmoid_fixed_point_is_a_fixed_point_of_iteration():
    # source: 003 §5.5.2 (sigmoid under Xavier); oracle: iterating the map 300 times
    m, q = activation_moments("sigmoid"), 1.0
    for _ in range(300):
        q = forward_map(m, q, 1.0)
    fp = fixed_point("sigmoid", 1.0)
    assert fp.regime == "finite" and fp.q == pytest.approx(q, rel=1e-10)
    assert fp.chi == pytest.approx(0.05572, abs=1e-5)


def test_fixed_point_regimes():
    # source: Poole et al. 2016 (order/chaos at zero bias)
    assert fixed_point("tanh", 0.5).regime == "zero"
    assert fixed_point("relu", 3.0).regime == "divergent"
    assert fixed_point("relu", 2.0).regime == "marginal"


def test_conv_fans():
    # source: torch.nn.init._calculate_fan_in_and_fan_out for a 3x3 conv
    w = torch.empty(64, 64, 3, 3)
    assert stack_fans("conv", 64, 3) == torch.nn.init._calculate_fan_in_and_fan_out(w)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: activation_moments("softmax"), "`activation`='softmax' must be an elementwise"),
        (lambda: get_init("he"), "`init`='he' must be one of"),
        (lambda: stack_fans("rnn", 8), "`kind`='rnn' must be one of 'mlp', 'conv'"),
        (lambda: variance_profile("relu", "lecun", 0, 8), "`depth`=0 must be a positive integer"),
        (lambda: stack_fans("mlp", 0), "`width`=0 must be a positive integer"),
        (lambda: gaussian_expectation(torch.square, -1.0), "`q`=-1.0 must be a finite real"),
        (lambda: rrelu_slope_moments(0.3, 0.1), "`upper`=0.1 must exceed `lower`=0.3"),
        (lambda: layer_sigmas("lecun", 0, 4), "`fan_in`=0 must be a positive integer"),
        (lambda: fixed_point("tanh", 0.0), "`sigma_w2`=0.0 must be a finite real number in (0"),
        (lambda: variance_profile("relu", "lecun", 3, 8, input_q=-2.0), "`input_q`=-2.0"),
    ],
)
def test_error_messages(call, message):
    with pytest.raises(ParameterError) as exc:
        call()
    assert message in str(exc.value)
