"""Random convolutions: the MAC and parameter formulas against torch (hypothesis)."""

from __future__ import annotations

import torch
from cnnbench.analysis.networks.modules import ConvShape
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


@st.composite
def conv_shapes(draw):
    groups = draw(st.sampled_from([1, 2, 3, 4]))
    in_ch = groups * draw(st.integers(1, 8))
    out_ch = groups * draw(st.integers(1, 8))
    kernel = draw(st.integers(1, 7))
    dilation = draw(st.integers(1, 3))
    padding = draw(st.integers(0, 3))
    stride = draw(st.integers(1, 4))
    span = dilation * (kernel - 1) + 1
    height = draw(st.integers(max(1, span - 2 * padding), 40))
    width = draw(st.integers(max(1, span - 2 * padding), 40))
    return ConvShape("c", in_ch, out_ch, height, width, kernel, stride, padding, dilation, groups)


@settings(max_examples=200, deadline=None)
@given(conv_shapes())
def test_conv_macs_params_and_output_size_agree_with_torch(conv):
    # source: paper, torch.nn.Conv2d docs (output size) and torch.utils.flop_counter
    layer = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel, conv.stride,
                      conv.padding, conv.dilation, conv.groups, device="meta")  # fmt: skip
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        out = layer(torch.zeros(1, conv.in_channels, conv.height, conv.width, device="meta"))
    assert tuple(out.shape[2:]) == (conv.out_height, conv.out_width)
    assert counter.get_total_flops() == 2 * conv.macs
    assert sum(p.numel() for p in layer.parameters()) == conv.params
