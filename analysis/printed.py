"""How precisely a printed number was stated, and whether a computed value agrees.

A figure printed as ``22.6`` stands for anything in [22.55, 22.65); ``1.54`` for
[1.535, 1.545); ``0.40`` for [0.395, 0.405) (a zero after the decimal point is
significant); ``60`` for [55, 65) and ``212`` for [211.5, 212.5) (trailing
zeros of an integer are not significant — the usual convention, stated here
because it decides some verdicts).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from analysis._validation import ParameterError


def printed_interval(printed: str) -> tuple[float, float]:
    """The half-open interval a printed decimal number stands for.

    Parameters
    ----------
    printed : the number as the text prints it, without units (``"22.6"``, ``"60"``).

    Returns
    -------
    (low, high)
        ``low <= x < high`` for every x that rounds to ``printed``.

    Examples
    --------
    >>> printed_interval("22.6")
    (22.55, 22.65)
    >>> printed_interval("60")
    (55.0, 65.0)
    >>> printed_interval("0.40")
    (0.395, 0.405)
    """
    try:
        value = Decimal(printed)
    except InvalidOperation:
        raise ParameterError("printed", printed, "must be a decimal number like '22.6'") from None
    if not value.is_finite() or value < 0:
        raise ParameterError("printed", printed, "must be a finite non-negative decimal number")
    exponent = value.as_tuple().exponent
    if exponent == 0 and value != 0:  # integer: trailing zeros are not significant
        digits = str(int(value))
        exponent = len(digits) - len(digits.rstrip("0"))
    half = Decimal(5) * Decimal(10) ** (exponent - 1)
    return float(value - half), float(value + half)


def rounds_to(value: float, printed: str) -> bool:
    """Whether ``value`` rounds to the figure ``printed`` at its printed precision.

    Examples
    --------
    >>> rounds_to(527.79, "528"), rounds_to(21.36, "22.6")
    (True, False)
    """
    low, high = printed_interval(printed)
    return low <= value < high
