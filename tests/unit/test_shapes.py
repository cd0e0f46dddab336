"""Exact output sizes from the texts, and every error message of analysis.shapes.formulas."""

from __future__ import annotations

import re

import pytest
import sympy
from cnnbench.analysis._validation import ParameterError
from cnnbench.analysis.shapes.formulas import (
    conv_output_size,
    conv_output_size_expr,
    conv_transpose_output_size,
    conv_transpose_output_size_expr,
    full_padding,
    half_padding,
    pool_output_size,
    pool_output_size_expr,
)


def test_conv_mnist_first_layer_keeps_28():
    # source: 002_c109f77ff76ed8b6.txt §10, "(28 - 3 + 2)/1 + 1 = 28"
    assert conv_output_size(28, 3, stride=1, padding=1) == 28


def test_conv_mnist_second_layer_keeps_14():
    # source: 002_c109f77ff76ed8b6.txt §10, "(14 - 5 + 2 x 2)/1 + 1 = 14"
    assert conv_output_size(14, 5, stride=1, padding=2) == 14


def test_pool_mnist_halves():
    # source: 002_c109f77ff76ed8b6.txt §10, "28/2 x 28/2 ... 14 x 14", "14/2 ... 7 x 7"
    assert pool_output_size(28, 2) == 14
    assert pool_output_size(14, 2) == 7


def test_conv_foundations_5x5_stride_1_and_2():
    # source: 004_e138cd620735c755.txt §3.2.3, 3*3 feature map; "(5 - 3 + 0)/2 + 1 = 2"
    assert conv_output_size(5, 3, stride=1) == 3
    assert conv_output_size(5, 3, stride=2) == 2


def test_conv_foundations_two_filter_layer_gives_3():
    # source: 004_e138cd620735c755.txt §3.2.3, 7*7*3 (+pad 1), stride 2 -> 3*3*2
    assert conv_output_size(5, 3, stride=2, padding=1) == 3


def test_conv_alexnet_first_layer_gives_55():
    # source: paper, Krizhevsky et al. 2012 (227x227 input, 11x11/4 -> 55x55)
    assert conv_output_size(227, 11, stride=4) == 55


def test_pool_ndsb_ceil_mode_halvings():
    # source: 003_6ff731d493f5c8c8.txt Tables 6.1/6.2, 3x3/2 max pools 128->64, 144->72
    assert pool_output_size(128, 3, stride=2, ceil_mode=True) == 64
    assert pool_output_size(144, 3, stride=2, ceil_mode=True) == 72
    assert pool_output_size(128, 3, stride=2) == 63  # floor mode would not halve


def test_pool_ndsb2_stride_3():
    # source: 003_6ff731d493f5c8c8.txt Table 6.2, 3x3/3 max pool 18x18 -> 6x6
    assert pool_output_size(18, 3, stride=3) == 6


def test_pool_ceil_mode_drops_window_starting_in_right_padding():
    # source: pytorch-docs MaxPool2d note; bare ceil((5 + 2 - 2)/2) + 1 would give 4
    assert pool_output_size(5, 2, stride=2, padding=1, ceil_mode=True) == 3


def test_conv_transpose_doubles_with_kernel_4_stride_2_padding_1():
    # source: paper, Radford et al. 2016 (DCGAN generator: 4x4 -> 8x8 per layer)
    assert conv_transpose_output_size(4, 4, stride=2, padding=1) == 8


def test_full_padding_gives_h_plus_k_minus_1():
    # source: 002_c109f77ff76ed8b6.txt §5, "feature-map dimensions ... H_q + K_q - 1"
    assert conv_output_size(10, 5, padding=full_padding(5)) == 14


def test_half_padding_of_3_and_5():
    # source: 002_c109f77ff76ed8b6.txt §10, "(kernel_size - 1)/2 -> (3-1)/2 = 1"
    assert half_padding(3) == 1
    assert half_padding(5) == 2


def test_sympy_forms_match_numbers():
    # source: 004_e138cd620735c755.txt §3.2.3 (5, 3, stride 2 -> 2); pytorch-docs ceil note
    assert conv_output_size_expr(5, 3, 2, 0, 1) == 2
    assert pool_output_size_expr(5, 2, 2, 1, 1, ceil_mode=True) == 3
    assert conv_transpose_output_size_expr(4, 4, 2, 1, 0, 1) == 8


def test_sympy_conv_form_is_floored():
    n = sympy.Symbol("n", integer=True, positive=True)
    expr = conv_output_size_expr(n, 3, 2, 0, 1)
    assert expr.has(sympy.floor)
    assert expr.subs(n, 6) == 2  # (6 - 3)/2 + 1 = 2.5 unfloored


# --- one test per error message ---------------------------------------------


def _raises(message: str):
    return pytest.raises(ParameterError, match=f"^{re.escape(message)}$")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 0}, "`size`=0 must be a positive integer"),
        ({"kernel": 0}, "`kernel`=0 must be a positive integer"),
        ({"stride": -1}, "`stride`=-1 must be a positive integer"),
        ({"padding": -1}, "`padding`=-1 must be a non-negative integer"),
        ({"dilation": 0}, "`dilation`=0 must be a positive integer"),
        ({"stride": 1.5}, "`stride`=1.5 must be a positive integer"),
        ({"kernel": 2.0}, "`kernel`=2.0 must be a positive integer"),
        ({"size": True}, "`size`=True must be a positive integer"),
    ],
)
def test_conv_refuses_out_of_domain_values(kwargs, message):
    args = {"size": 5, "kernel": 3, "stride": 1, "padding": 0, "dilation": 1, **kwargs}
    with _raises(message):
        conv_output_size(**args)


def test_conv_refuses_kernel_larger_than_padded_input():
    with _raises("`kernel`=3 must fit the padded input: dilation*(kernel-1)+1 = 5 > "
                 "size+2*padding = 4"):  # fmt: skip
        conv_output_size(2, 3, padding=1, dilation=2)


def test_pool_refuses_padding_above_half_kernel():
    with _raises("`padding`=2 must be at most kernel//2 = 1"):
        pool_output_size(5, 3, stride=1, padding=2)


def test_pool_refuses_window_that_does_not_fit():
    with _raises("`kernel`=3 leaves no window: output size 0 < 1 for size=2, padding=0, "
                 "dilation=1"):  # fmt: skip
        pool_output_size(2, 3, stride=1)


def test_pool_refuses_non_bool_ceil_mode():
    with _raises("`ceil_mode`=1 must be True or False"):
        pool_output_size(5, 2, ceil_mode=1)


def test_pool_refuses_zero_stride_rather_than_defaulting():
    with _raises("`stride`=0 must be a positive integer"):
        pool_output_size(5, 2, stride=0)


def test_conv_transpose_refuses_output_padding_not_below_stride_or_dilation():
    with _raises("`output_padding`=2 must be smaller than stride=2 or smaller than dilation=1"):
        conv_transpose_output_size(5, 3, stride=2, output_padding=2)


def test_conv_transpose_refuses_negative_output_padding():
    with _raises("`output_padding`=-1 must be a non-negative integer"):
        conv_transpose_output_size(5, 3, output_padding=-1)


def test_conv_transpose_refuses_padding_that_empties_the_output():
    with _raises("`padding`=5 is too large: output size would be -3 < 1"):
        conv_transpose_output_size(5, 3, padding=5)


def test_half_padding_refuses_even_kernel():
    with _raises("`kernel`=4 must be odd for symmetric half padding"):
        half_padding(4)


def test_full_padding_refuses_zero_kernel():
    with _raises("`kernel`=0 must be a positive integer"):
        full_padding(0)
