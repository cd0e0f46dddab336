"""Sympy forms (floor semantics) of the output-size formulas of
:mod:`cnnbench.analysis.shapes.formulas`.

Integer symbols throughout, so that sympy can decide identities between the
texts' forms (:mod:`cnnbench.analysis.shapes.proofs`) without sampling values.
"""

from __future__ import annotations

import sympy

__all__ = [
    "SYMBOLS",
    "conv_output_size_expr",
    "conv_transpose_output_size_expr",
    "pool_output_size_expr",
]

# Integer symbols for the sympy forms: size n, kernel k, stride s, padding p,
# dilation d, output padding a. Signs as the validated domain allows.
SYMBOLS = {
    "size": sympy.Symbol("n", integer=True, positive=True),
    "kernel": sympy.Symbol("k", integer=True, positive=True),
    "stride": sympy.Symbol("s", integer=True, positive=True),
    "padding": sympy.Symbol("p", integer=True, nonnegative=True),
    "dilation": sympy.Symbol("d", integer=True, positive=True),
    "output_padding": sympy.Symbol("a", integer=True, nonnegative=True),
}


def conv_output_size_expr(
    size=SYMBOLS["size"],
    kernel=SYMBOLS["kernel"],
    stride=SYMBOLS["stride"],
    padding=SYMBOLS["padding"],
    dilation=SYMBOLS["dilation"],
) -> sympy.Expr:
    """Sympy form of :func:`conv_output_size` (floor semantics).

    Examples
    --------
    >>> conv_output_size_expr(5, 3, 2, 0, 1)
    2
    """
    return sympy.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1


def pool_output_size_expr(
    size=SYMBOLS["size"],
    kernel=SYMBOLS["kernel"],
    stride=SYMBOLS["stride"],
    padding=SYMBOLS["padding"],
    dilation=SYMBOLS["dilation"],
    ceil_mode: bool = False,
) -> sympy.Expr:
    """Sympy form of :func:`pool_output_size`, with torch's ceil-mode correction.

    Examples
    --------
    >>> pool_output_size_expr(5, 2, 2, 1, 1, ceil_mode=True)
    3
    """
    m = size + 2 * padding - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return sympy.floor(m / stride) + 1
    out = sympy.ceiling(m / stride) + 1
    return sympy.Piecewise((out - 1, (out - 1) * stride >= size + padding), (out, True))


def conv_transpose_output_size_expr(
    size=SYMBOLS["size"],
    kernel=SYMBOLS["kernel"],
    stride=SYMBOLS["stride"],
    padding=SYMBOLS["padding"],
    output_padding=SYMBOLS["output_padding"],
    dilation=SYMBOLS["dilation"],
) -> sympy.Expr:
    """Sympy form of :func:`conv_transpose_output_size`.

    Examples
    --------
    >>> conv_transpose_output_size_expr(7, 4, 2, 1, 0, 1)
    14
    """
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
