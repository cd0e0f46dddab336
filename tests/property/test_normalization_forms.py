"""Hypothesis: the texts' batch-norm forms (corrected where needed) vs torch autograd."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from cnnbench.analysis.normalization.backward import bilici_backward, xu_backward
from cnnbench.analysis.normalization.forward import bilici_forward, foundations_forward, xu_forward
from cnnbench.analysis.normalization.sets import set_normalize
from hypothesis import assume, given, settings
from hypothesis import strategies as st

REL_TOL = 1e-9  # float64 BN gradients; measured worst ~1e-13 over the claim grid

batches = st.builds(
    dict,
    m=st.integers(2, 40),
    d=st.integers(1, 5),
    log_scale=st.floats(-2, 2),
    offset=st.floats(-50, 50),
    eps=st.sampled_from([1e-6, 1e-5, 1e-3, 1e-1]),
    seed=st.integers(0, 2**31 - 1),
)


def _make(m, d, log_scale, offset, eps, seed):
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
    return 10**log_scale * r(m, d) + offset, r(d), r(d), eps, r(m, d)


def _oracle(x, gamma, beta, eps, grad_out):
    x, gamma, beta = (t.clone().requires_grad_(True) for t in (x, gamma, beta))
    y = F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)
    return y.detach(), *torch.autograd.grad(y, (x, gamma, beta), grad_out)


def _close(got, want, scale=None):
    ref = want.abs().max().item() if scale is None else scale
    assert (got - want).abs().max().item() <= REL_TOL * max(ref, 1e-300)


def _dx_scale(x, gamma, eps, grad_out):
    # dL/dx sums terms of size |gamma||dL/dy|/sigma that cancel for tiny m (see
    # cnnbench.analysis.normalization.checks.input_grad_scale); compare at that scale.
    root = torch.sqrt(x.var(0, correction=0) + eps)
    return ((gamma.abs() / root).max() * grad_out.abs().max()).item()


@settings(max_examples=60, deadline=None)
@given(batches)
def test_forward_forms_match_batch_norm(case):
    x, gamma, beta, eps, g = _make(**case)
    y, *_ = _oracle(x, gamma, beta, eps, g)
    _close(bilici_forward(x, gamma, beta, eps)["a"], y)
    _close(xu_forward(x, gamma, beta, eps)["y"], y)
    _close(foundations_forward(x, gamma, beta, eps, fix_sign=True, eps_inside=True)["y"], y)


@settings(max_examples=60, deadline=None)
@given(batches)
def test_corrected_backward_forms_match_autograd(case):
    x, gamma, beta, eps, g = _make(**case)
    _, dx, dgamma, dbeta = _oracle(x, gamma, beta, eps, g)
    scale = _dx_scale(x, gamma, eps, g)
    for form in (bilici_backward, xu_backward):
        out = form(x, gamma, beta, eps, g, corrected=True)
        _close(out["d_x"], dx, scale)
        _close(out["d_gamma"], dgamma)
        _close(out["d_beta"], dbeta)


@settings(max_examples=60, deadline=None)
@given(batches)
def test_printed_xu_dx_misses_autograd_by_twice_the_direct_term(case):
    # (5.15) as printed flips the sign of dL/dxhat / sqrt(var+eps), dL/dxhat = gamma dL/dy:
    # autograd's dL/dx minus the printed one is exactly twice that term, never zero.
    x, gamma, beta, eps, g = _make(**case)
    _, dx, _, _ = _oracle(x, gamma, beta, eps, g)
    root = torch.sqrt(x.var(0, correction=0) + eps)
    direct = gamma * g / root
    printed = xu_backward(x, gamma, beta, eps, g)["d_x"]
    _close(dx - printed, 2 * direct, _dx_scale(x, gamma, eps, g))


@settings(max_examples=30, deadline=None)
@given(
    st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)),
    st.sampled_from(["layer", "instance", "batch"]),
    st.integers(0, 2**31 - 1),
)
def test_statistic_sets_match_torch(shape, kind, seed):
    n, _, h, w = shape
    # torch refuses a batch/instance set with a single element (no variance to take).
    assume(not (kind == "batch" and n * h * w < 2) and not (kind == "instance" and h * w < 2))
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    oracle = {
        "batch": lambda t: F.batch_norm(t, None, None, training=True, eps=1e-5),
        "layer": lambda t: F.layer_norm(t, t.shape[1:], eps=1e-5),
        "instance": lambda t: F.instance_norm(t, eps=1e-5),
    }[kind]
    _close(set_normalize(x, kind, 1e-5), oracle(x), scale=1.0)
