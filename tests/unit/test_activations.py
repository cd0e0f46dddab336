"""The activation registry: contents, torch forms against each other, errors."""

from __future__ import annotations

import math

import pytest
import sympy
import torch
import torch.nn.functional as F
from cnnbench.analysis._validation import ParameterError
from cnnbench.analysis.activations.modules import (
    LazyCompiled,
    LeakyReLUXA,
    RegularizedReLU,
    regularized_relu_factors,
    regularized_relu_for,
)
from cnnbench.analysis.activations.registry import ACTIVATIONS, X, get_activation, make_activation

NAMES = (
    "sigmoid", "tanh", "relu", "leaky_relu", "leaky_relu_xa", "prelu", "rrelu", "sigmoid_star",
    "regularized_relu", "softplus", "softmax", "elu", "gelu", "silu",
    # what users expect beside them (issue 11)
    "mish", "hardswish", "hardsigmoid", "hardtanh", "relu6", "selu", "celu", "softsign",
    "logsigmoid", "tanhshrink", "swish",
)  # fmt: skip
FP64_TOL = 1e-12  # float64 rounding of O(1..10) values after a few ops
# torch's softplus (F.softplus, nn.Softplus) returns x above threshold=20: off by <= e^-20.
SOFTPLUS_THRESHOLD_ERR = math.exp(-20)


def _tol(name: str, key: str = "module") -> float:
    return SOFTPLUS_THRESHOLD_ERR if name == "softplus" and key != "logaddexp" else FP64_TOL


def _x(n=257, scale=6.0):
    gen = torch.Generator().manual_seed(1)
    return torch.randn(n, dtype=torch.float64, generator=gen) * scale  # (n,)


def test_registry_has_every_name_of_the_brief():
    assert tuple(ACTIVATIONS) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_activation_fields_are_consistent(name):
    a = get_activation(name)
    assert a.name == name and "eager" in a.implementations
    assert a.elementwise == (name != "softmax")
    assert (a.expr is None) == (a.derivative is None) == (not a.elementwise)
    assert a.stochastic == (name == "rrelu")
    if a.expr is not None:
        assert a.expr.free_symbols == {X}


@pytest.mark.parametrize("name", NAMES)
def test_module_matches_reference_in_float64(name):
    a = get_activation(name)
    module = a.module().double().eval()  # eval: RReLU's deterministic mean slope
    x = _x().reshape(1, -1)  # (1, 257): softmax over the last dimension
    assert torch.allclose(module(x), a.reference(x), rtol=0, atol=_tol(name))


@pytest.mark.parametrize("name", [n for n in NAMES if not get_activation(n).stochastic])
def test_implementations_match_reference(name):
    a = get_activation(name)
    x = _x()
    for key, impl in a.implementations.items():
        if key == "compiled":
            continue  # compiling takes ~15 s: see the slow test below
        assert torch.allclose(impl(x), a.reference(x), rtol=0, atol=_tol(name, key)), key


@pytest.mark.parametrize("name", [n for n in NAMES if get_activation(n).elementwise])
def test_analytic_derivative_matches_autograd(name):
    a = get_activation(name)
    x = torch.cat([_x(), torch.zeros(1, dtype=torch.float64)])  # the kink convention too
    xx = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(a.reference(xx).sum(), xx)
    # torch's hardsigmoid backward uses the float32 constant 1.0f/6.0f even in float64
    tol = 1e-8 if name == "hardsigmoid" else FP64_TOL
    assert torch.allclose(a.derivative(x), g, rtol=0, atol=tol)


def _gradcheck_cases():
    for name in NAMES:
        a = get_activation(name)
        if a.stochastic:
            continue
        for key, impl in a.implementations.items():
            if key != "compiled":
                yield pytest.param(impl, id=f"{name}-{key}")
        yield pytest.param(a.module().double(), id=f"{name}-module")


@pytest.mark.parametrize("fn", list(_gradcheck_cases()))
def test_gradcheck_float64(fn):
    # Points kept away from the kinks: finite differences straddling 0 are not a derivative.
    x = _x(24, 2.0)
    x = torch.where(x.abs() < 1e-2, x + 0.1, x).requires_grad_(True)
    assert torch.autograd.gradcheck(fn, (x,), eps=1e-6, atol=1e-7)


def test_regularized_fused_custom_backward_gradcheck_and_gradgradcheck():
    # source: 000_940f4854fb2e4a91.txt §3.1 (fused form has a custom backward); its
    # backward is itself differentiable, so second derivatives pass gradgradcheck too
    fused = get_activation("regularized_relu").implementations["fused"]
    x = (_x(30, 2.0) + 0.05).requires_grad_(True)
    assert torch.autograd.gradcheck(fused, (x,))
    assert torch.autograd.gradgradcheck(fused, (x,))
    out = RegularizedReLU(0.5, fused=True)(torch.tensor([-1.0, 2.0]))
    assert out.tolist() == [0.0, 1.0]  # bit-exact: 2·0.5


def test_softplus_reference_is_exact_beyond_torch_threshold():
    # source: 004_e138cd620735c755.txt §3.4.2 (5): f(x) = ln(1 + e^x), checked at x = 25
    x = torch.tensor([25.0], dtype=torch.float64)
    exact = 25 + math.log1p(math.exp(-25))
    assert get_activation("softplus").reference(x).item() == exact
    assert torch.nn.functional.softplus(x).item() == 25.0  # bit-exact: linearised, returns x


def test_prelu_slope_is_learnable_and_rrelu_train_is_random():
    # source: 003_6ff731d493f5c8c8.txt §5.3.3 (a_i learned) and §5.3.4 eq. (5.6)
    prelu = get_activation("prelu").module()
    assert any(p.requires_grad for p in prelu.parameters())
    train = get_activation("rrelu").implementations["eager"]
    x = -torch.ones(1000, dtype=torch.float64)
    assert len(set((-train(x)).tolist())) > 900


def test_sigmoid_star_forms_agree_and_compile_is_lazy():
    # source: 003_6ff731d493f5c8c8.txt §5.5.2 eq. (5.36)
    # a fresh build: other tests may already have called the shared registry's compiled form
    a = make_activation("sigmoid_star")
    compiled = a.implementations["compiled"]
    assert isinstance(compiled, LazyCompiled) and not compiled.is_compiled
    x = _x()
    assert torch.allclose(a.implementations["eager_best"](x), 4 * torch.sigmoid(x) - 2)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["sigmoid_star", "regularized_relu"])
def test_compiled_implementation_matches_reference(name):
    a = get_activation(name)
    x = torch.randn(1000)
    assert torch.allclose(a.implementations["compiled"](x), a.reference(x), atol=1e-6)


def test_rrelu_eval_is_torch_mean_slope():
    # source: 003_6ff731d493f5c8c8.txt §5.3.4 ("set a_ji to (l+u)/2")
    a = make_activation("rrelu", lower=0.1, upper=0.3)
    x = _x()
    assert torch.allclose(a.reference(x), F.leaky_relu(x, 0.2), rtol=0, atol=FP64_TOL)


def test_leaky_relu_xa_thesis_values():
    # source: 003_6ff731d493f5c8c8.txt §5.3.2 eq. (5.2): a = 100 suggested, 5.5 tried
    assert get_activation("leaky_relu_xa").expr.subs(X, -50) == sympy.Rational(-1, 2)
    assert make_activation("leaky_relu_xa", a=5.5).reference(torch.tensor([-11.0])).item() == -2


def test_regularized_relu_factors_default_layer():
    # source: 000_940f4854fb2e4a91.txt §3.1 (c, s, n, m); geometry assumed (CIFAR-10 3x32x32)
    f = regularized_relu_factors(3, 32, 32, 32, kernel=5)
    assert (f.c, f.s, f.n, f.m) == (3 * 32 * 32, 28 * 28, 32, 3 * 5 * 5)
    a = get_activation("regularized_relu")
    assert a.expr.subs(X, 1225) == 2 and math.isclose(
        a.reference(torch.tensor([1225.0])).item(), 2.0
    )


def test_regularized_relu_factors_stride_padding_groups():
    # source: 000_940f4854fb2e4a91.txt §3.1; output size as torch.nn.Conv2d computes it
    f = regularized_relu_factors(4, 6, 11, 9, kernel=3, stride=2, padding=1, dilation=2, groups=2)
    out = torch.nn.Conv2d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2)(
        torch.zeros(1, 4, 11, 9)
    )  # (1, 6, H_out, W_out)
    assert f.s == out.shape[2] * out.shape[3] and f.m == 2 * 9 and f.c == 4 * 11 * 9


# --- one test per error message -------------------------------------------------


def test_error_unknown_name_lists_valid_names():
    with pytest.raises(ParameterError, match=r"`name`='swoosh' must be one of 'sigmoid', 'tanh'"):
        get_activation("swoosh")


def test_error_make_activation_unknown_parameter():
    with pytest.raises(ParameterError, match=r"`params`='slope' is not a parameter of 'elu'"):
        make_activation("elu", slope=2.0)


def test_error_make_activation_parameterless():
    with pytest.raises(ParameterError, match="takes no parameters"):
        make_activation("tanh", beta=2.0)


def test_error_leaky_slope_out_of_range():
    with pytest.raises(ParameterError, match=r"`negative_slope`=1.5 must be a finite real"):
        make_activation("leaky_relu", negative_slope=1.5)


def test_error_leaky_xa_a_not_above_one():
    with pytest.raises(ParameterError, match=r"`a`=1.0 must be a finite real number in \(1, inf\)"):
        make_activation("leaky_relu_xa", a=1.0)


def test_error_leaky_xa_module_a():
    with pytest.raises(ParameterError, match=r"`a`=0.5 must be"):
        LeakyReLUXA(0.5)


def test_error_rrelu_lower_not_below_upper():
    with pytest.raises(ParameterError, match=r"`upper`=0.1 must exceed `lower`=0.2"):
        make_activation("rrelu", lower=0.2, upper=0.1)


def test_error_regularized_partial_factors():
    with pytest.raises(ParameterError, match=r"must all be given \(missing \['s', 'n', 'm'\]\)"):
        make_activation("regularized_relu", c=3.0)


def test_error_regularized_scale_not_positive():
    with pytest.raises(ParameterError, match=r"`scale`=0 must be a finite real number in \(0"):
        RegularizedReLU(0)


def test_error_factors_groups_do_not_divide():
    with pytest.raises(ParameterError, match=r"`groups`=4 must divide in_channels=6"):
        regularized_relu_factors(6, 8, 10, 10, kernel=3, groups=4)


def test_error_factors_kernel_too_large():
    with pytest.raises(ParameterError, match=r"`kernel`=7 must fit the padded input 5x5"):
        regularized_relu_factors(1, 1, 5, 5, kernel=7)


def test_error_regularized_for_non_conv():
    with pytest.raises(ParameterError, match=r"`conv`='Linear' must be a torch.nn.Conv2d"):
        regularized_relu_for(torch.nn.Linear(2, 2), 4, 4)


def test_error_regularized_for_non_square_conv():
    with pytest.raises(ParameterError, match=r"must be square \(same value for H and W\)"):
        regularized_relu_for(torch.nn.Conv2d(1, 1, (3, 5)), 8, 8)


def test_error_factors_non_integer_size():
    with pytest.raises(ParameterError, match=r"`height`=3.5 must be a positive integer"):
        regularized_relu_factors(1, 1, 3.5, 5, kernel=1)
