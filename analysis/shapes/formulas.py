"""Output sizes of convolution, pooling and transposed convolution.

Each formula is a plain function of one spatial dimension (the same formula
applies to height and width separately) and has a sympy twin with floor
semantics (:mod:`cnnbench.analysis.shapes.symbolic`, re-exported here). Validation
refuses exactly the configurations that torch's CPU kernels refuse (2.13,
found empirically and pinned by the sweeps in :mod:`cnnbench.analysis.shapes.sweep`):
non-integers, sizes/kernels/strides/dilations below 1, negative paddings, a
window that does not fit the padded input, pooling padding above
``kernel // 2``, an ``output_padding`` not smaller than either the stride or
the dilation, and a transposed output size below 1.
"""

from __future__ import annotations

from cnnbench.analysis._validation import ParameterError, as_int
from cnnbench.analysis.shapes.symbolic import (
    SYMBOLS,
    conv_output_size_expr,
    conv_transpose_output_size_expr,
    pool_output_size_expr,
)

__all__ = [
    "SYMBOLS",
    "conv_output_size",
    "conv_output_size_expr",
    "conv_transpose_output_size",
    "conv_transpose_output_size_expr",
    "full_padding",
    "half_padding",
    "pool_output_size",
    "pool_output_size_expr",
]

def _common(size, kernel, stride, padding, dilation) -> tuple[int, int, int, int, int]:
    return (
        as_int("size", size, minimum=1),
        as_int("kernel", kernel, minimum=1),
        as_int("stride", stride, minimum=1),
        as_int("padding", padding, minimum=0),
        as_int("dilation", dilation, minimum=1),
    )


def conv_output_size(
    size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """Output size of a convolution along one spatial dimension.

    Parameters
    ----------
    size : int
        Input size (>= 1).
    kernel : int
        Kernel size (>= 1).
    stride, dilation : int
        Step between windows and between kernel taps (>= 1).
    padding : int
        Zeros added on each side (>= 0).

    Returns
    -------
    int
        ``floor((size + 2*padding - dilation*(kernel - 1) - 1) / stride) + 1``.

    Raises
    ------
    ParameterError
        For a value outside its domain, or when the dilated kernel,
        ``dilation*(kernel - 1) + 1``, is larger than ``size + 2*padding``.

    Notes
    -----
    The number of window positions j >= 0 with
    ``j*stride + dilation*(kernel - 1) <= size + 2*padding - 1``.

    References
    ----------
    001_eca9e742b9cf0388.txt eq. (2.2); 002_c109f77ff76ed8b6.txt and
    004_e138cd620735c755.txt ``W2 = (W1 - F + 2P)/S + 1`` (dilation 1).

    Examples
    --------
    >>> conv_output_size(224, 7, stride=2, padding=3)
    112
    """
    n, k, s, p, d = _common(size, kernel, stride, padding, dilation)
    span = d * (k - 1) + 1
    if n + 2 * p < span:
        raise ParameterError(
            "kernel",
            kernel,
            f"must fit the padded input: dilation*(kernel-1)+1 = {span} > "
            f"size+2*padding = {n + 2 * p}",
        )
    return (n + 2 * p - span) // s + 1


def pool_output_size(
    size: int,
    kernel: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Output size of max or average pooling along one spatial dimension.

    Parameters
    ----------
    size, kernel : int
        Input size and window size (>= 1).
    stride : int or None
        Step between windows (>= 1); ``None`` means ``kernel`` (torch's default).
    padding : int
        Padding on each side, ``0 <= padding <= kernel // 2``.
    dilation : int
        Spacing of window taps (>= 1; average pooling has none, leave it 1).
    ceil_mode : bool
        Round the window count up instead of down.

    Returns
    -------
    int
        ``floor(m / stride) + 1`` with ``m = size + 2*padding - dilation*(kernel-1) - 1``;
        in ceil mode ``ceil(m / stride) + 1``, less one when that last window
        would start in the right padding (``(out - 1)*stride >= size + padding``).

    Raises
    ------
    ParameterError
        For a value outside its domain, padding above ``kernel // 2``, or an
        output size below 1.

    References
    ----------
    002_c109f77ff76ed8b6.txt "Pooling Layer"; PyTorch docs of MaxPool2d and
    AvgPool2d (formula and the ceil_mode note).

    Examples
    --------
    >>> pool_output_size(28, 2)
    14
    >>> pool_output_size(5, 2, stride=2, padding=1, ceil_mode=True)
    3
    """
    if stride is None:
        stride = kernel
    n, k, s, p, d = _common(size, kernel, stride, padding, dilation)
    if not isinstance(ceil_mode, bool):
        raise ParameterError("ceil_mode", ceil_mode, "must be True or False")
    if p > k // 2:
        raise ParameterError("padding", padding, f"must be at most kernel//2 = {k // 2}")
    m = n + 2 * p - d * (k - 1) - 1
    out = (m + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1  # the last window would start in the right padding: torch drops it
    if out < 1:
        raise ParameterError(
            "kernel",
            kernel,
            f"leaves no window: output size {out} < 1 for size={n}, padding={p}, dilation={d}",
        )
    return out


def conv_transpose_output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Output size of a transposed convolution along one spatial dimension.

    Parameters
    ----------
    size, kernel, stride, dilation : int
        As for :func:`conv_output_size` (>= 1).
    padding : int
        Removed from each side of the full output (>= 0).
    output_padding : int
        Added to one side, ``0 <= output_padding`` and smaller than ``stride``
        or smaller than ``dilation``.

    Returns
    -------
    int
        ``(size - 1)*stride - 2*padding + dilation*(kernel - 1) + output_padding + 1``.

    Raises
    ------
    ParameterError
        For a value outside its domain, or a result below 1 (too much padding).

    References
    ----------
    PyTorch docs of ConvTranspose2d; 002_c109f77ff76ed8b6.txt (full padding as
    the "reverse" convolution).

    Examples
    --------
    >>> conv_transpose_output_size(7, 4, stride=2, padding=1)
    14
    """
    n, k, s, p, d = _common(size, kernel, stride, padding, dilation)
    a = as_int("output_padding", output_padding, minimum=0)
    if a >= s and a >= d:
        raise ParameterError(
            "output_padding",
            output_padding,
            f"must be smaller than stride={s} or smaller than dilation={d}",
        )
    out = (n - 1) * s - 2 * p + d * (k - 1) + a + 1
    if out < 1:
        raise ParameterError("padding", padding, f"is too large: output size would be {out} < 1")
    return out


def half_padding(kernel: int) -> int:
    """Padding that keeps the size at stride 1 ("half" padding), ``(kernel - 1) / 2``.

    Only odd kernels have one: an even kernel needs unequal padding on the
    two sides, which a single symmetric ``padding`` cannot express.

    References
    ----------
    002_c109f77ff76ed8b6.txt "Padding" (half-padding).

    Examples
    --------
    >>> half_padding(5)
    2
    """
    k = as_int("kernel", kernel, minimum=1)
    if k % 2 == 0:
        raise ParameterError("kernel", kernel, "must be odd for symmetric half padding")
    return (k - 1) // 2


def full_padding(kernel: int) -> int:
    """Padding that lets the kernel overlap the input by one pixel ("full"), ``kernel - 1``.

    References
    ----------
    002_c109f77ff76ed8b6.txt "Padding" (full-padding).

    Examples
    --------
    >>> full_padding(3)
    2
    """
    return as_int("kernel", kernel, minimum=1) - 1
