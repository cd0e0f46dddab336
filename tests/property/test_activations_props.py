"""Hypothesis: registry torch code against sympy (lambdified) and autograd at random points."""

from __future__ import annotations

import math

import sympy
import torch
from cnnbench.analysis.activations.identities import read_counts
from cnnbench.analysis.activations.modules import LeakyReLUXA, regularized_relu_factors
from cnnbench.analysis.activations.registry import ACTIVATIONS, X, make_activation
from hypothesis import given, settings
from hypothesis import strategies as st

ELEMENTWISE = sorted(n for n, a in ACTIVATIONS.items() if a.elementwise)
REL_TOL = 1e-12  # float64 torch kernels vs mpmath at 30 digits, a few ulps
ABS_TOL = 1e-14  # near zero crossings the relative measure is meaningless
# Points bounded away from the kinks: 0 is an exact float and a legitimate input,
# but there the derivative is a convention (tested in tests/unit), not a limit.
POINTS = st.floats(-30, 30, allow_nan=False).filter(lambda v: abs(v) > 1e-9)

_SYMPY = {n: sympy.lambdify(X, ACTIVATIONS[n].expr, "mpmath") for n in ELEMENTWISE}
_SYMPY_D = {n: sympy.lambdify(X, sympy.diff(ACTIVATIONS[n].expr, X), "mpmath")
            for n in ELEMENTWISE}  # fmt: skip


# torch's hardsigmoid backward multiplies by the float32 constant 1.0f/6.0f even in
# float64 (autograd gives 0.16666667163..., relative error 3.0e-8): a finding, not ours.
TORCH_HARDSIGMOID_GRAD_REL = 5e-8


def _close(a: float, b: float, rel: float = REL_TOL) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=ABS_TOL)


def _grad_rel(name: str) -> float:
    return TORCH_HARDSIGMOID_GRAD_REL if name == "hardsigmoid" else REL_TOL


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(ELEMENTWISE), x=POINTS)
def test_reference_matches_sympy_expression(name, x):
    torch_value = float(ACTIVATIONS[name].reference(torch.tensor([x], dtype=torch.float64))[0])
    assert _close(torch_value, float(_SYMPY[name](x)))


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(ELEMENTWISE), x=POINTS)
def test_autograd_matches_sympy_derivative(name, x):
    t = torch.tensor([x], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(ACTIVATIONS[name].reference(t).sum(), t)
    assert _close(float(g[0]), float(_SYMPY_D[name](x)), _grad_rel(name))


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(ELEMENTWISE), x=POINTS)
def test_analytic_derivative_matches_autograd(name, x):
    a = ACTIVATIONS[name]
    t = torch.tensor([x], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(a.reference(t).sum(), t)
    assert _close(float(a.derivative(t.detach())[0]), float(g[0]), _grad_rel(name))


@settings(max_examples=40, deadline=None)
@given(a=st.floats(1.0, 1e4, exclude_min=True), x=POINTS)
def test_leaky_xa_equals_slope_form_and_sympy(a, x):
    # 003 eqs. (5.2)-(5.3): x/a equals the slope form with slope 1/a
    t = torch.tensor([x], dtype=torch.float64)
    ours = float(LeakyReLUXA(a)(t)[0])
    assert _close(ours, float(torch.nn.functional.leaky_relu(t, 1 / a)[0]))
    assert _close(ours, float(make_activation("leaky_relu_xa", a=a).expr.subs(X, x)))


@settings(max_examples=25, deadline=None)
@given(
    cin=st.integers(1, 4), cout=st.integers(1, 4), h=st.integers(3, 12), w=st.integers(3, 12),
    k=st.integers(1, 3), stride=st.integers(1, 3), dilation=st.integers(1, 2),
)  # fmt: skip
def test_regularized_coefficient_is_inverse_mean_read_count(cin, cout, h, w, k, stride, dilation):
    # 000 §3.1: c/(s*n*m) undoes the repeated reading of each input value (no padding)
    if dilation * (k - 1) + 1 > min(h, w):
        return
    f = regularized_relu_factors(cin, cout, h, w, kernel=k, stride=stride, dilation=dilation)
    conv = torch.nn.Conv2d(cin, cout, k, stride=stride, dilation=dilation, bias=False).double()
    counts = read_counts(conv, (1, cin, h, w))  # (1, C_in, H, W)
    assert math.isclose(float(counts.mean()), 1 / float(f.coefficient), rel_tol=1e-12)
