"""Closed-form receptive fields against torch's gradient support on random stacks."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from cnnbench.analysis.receptive.formulas import RFLayer, receptive_field, rf_layer
from cnnbench.analysis.receptive.parse import parse_layers
from cnnbench.analysis.receptive.torch_oracle import gradient_support
from hypothesis import given, settings
from hypothesis import strategies as st


@st.composite
def layers(draw):
    kind = draw(st.sampled_from(("conv", "pool")))
    kernel = draw(st.integers(1, 5))
    dilation = draw(st.integers(1, 3))
    span = dilation * (kernel - 1) + 1
    padding = draw(st.integers(0, span // 2))
    return rf_layer(kind, kernel, draw(st.integers(1, 3)), padding, dilation)


stacks = st.lists(layers(), min_size=1, max_size=6)


def _as_text(stack: list[RFLayer]) -> str:
    return ",".join(f"{x.kind[0]}{x.kernel}s{x.stride}p{x.padding}d{x.dilation}" for x in stack)


@settings(max_examples=100, deadline=None)
@given(stacks)
def test_closed_form_matches_gradient_support_1d(stack):
    rf = receptive_field(stack)
    support = gradient_support(stack)
    assert (support.size, support.stride, support.padding) == (rf.size, rf.stride, rf.padding)


@settings(max_examples=15, deadline=None)
@given(st.lists(layers(), min_size=1, max_size=4))
def test_closed_form_matches_gradient_support_2d(stack):
    rf = receptive_field(stack)
    support = gradient_support(stack, dims=2)
    assert (support.size, support.stride) == (rf.size, rf.stride)


@settings(max_examples=40, deadline=None)
@given(stacks, st.integers(0, 5))
def test_every_row_window_matches_torch_for_any_unit(stack, extra):
    """Unit j of layer l depends on [j*S - P, j*S - P + r - 1], with random positive weights."""
    gen = torch.Generator().manual_seed(len(stack) * 31 + extra)
    rows = receptive_field(stack).rows
    last = rows[-1]
    j = -(-last.padding // last.jump) + extra
    n = (j + 1) * last.jump + last.size + last.padding
    x = torch.rand(1, 1, n, dtype=torch.float64, generator=gen) + 0.5  # (1, 1, n) positive
    x.requires_grad_(True)
    y = x
    for layer in stack:
        w = torch.rand(1, 1, layer.kernel, dtype=torch.float64, generator=gen) + 0.1  # (1,1,k)
        y = F.conv1d(y, w, stride=layer.stride, padding=layer.padding, dilation=layer.dilation)
    (grad,) = torch.autograd.grad(y[0, 0, j], x)
    hit = torch.nonzero(grad[0, 0] > 0).flatten()
    assert (int(hit[0]), int(hit[-1])) == last.window(j)


@settings(max_examples=100, deadline=None)
@given(stacks)
def test_parse_round_trip(stack):
    parsed = parse_layers(_as_text(stack))
    assert [(x.kind, x.kernel, x.stride, x.padding, x.dilation) for x in parsed] == [
        (x.kind, x.kernel, x.stride, x.padding, x.dilation) for x in stack
    ]
