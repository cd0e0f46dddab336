"""How precisely a printed number was stated, and whether a computed value agrees.

A figure printed as ``22.6`` stands for anything in [22.55, 22.65); ``1.54`` for
[1.535, 1.545); ``0.40`` for [0.395, 0.405) (a zero after the decimal point is
significant); ``60`` for [55, 65) and ``212`` for [211.5, 212.5) (trailing
zeros of an integer are not significant — the usual convention, stated here
because it decides some verdicts). Where the same text prints the same
quantity elsewhere with its zeros significant (003 prints TinyNet's ratio as
``0.40X`` in Table 4.7 and as ``40%`` in §4.6), a check may pass
``zeros_significant=True`` to read the integer at that precision; every
summary says which reading it used (:func:`describe_reading`).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from cnnbench.analysis._validation import ParameterError


def _decimal(printed: str) -> Decimal:
    try:
        value = Decimal(printed)
    except InvalidOperation:
        raise ParameterError("printed", printed, "must be a decimal number like '22.6'") from None
    if not value.is_finite() or value < 0:
        raise ParameterError("printed", printed, "must be a finite non-negative decimal number")
    return value


def _trailing_zeros(value: Decimal) -> int:
    """Trailing zeros of an integer figure that the default reading drops (0 otherwise)."""
    if value.as_tuple().exponent != 0 or value == 0:
        return 0
    digits = str(int(value))
    return len(digits) - len(digits.rstrip("0"))


def printed_interval(printed: str, zeros_significant: bool = False) -> tuple[float, float]:
    """The half-open interval a printed decimal number stands for.

    Parameters
    ----------
    printed : the number as the text prints it, without units (``"22.6"``, ``"60"``).
    zeros_significant : read an integer's trailing zeros as significant (``"40"`` is
        then [39.5, 40.5) rather than [35, 45)).

    Returns
    -------
    (low, high)
        ``low <= x < high`` for every x that rounds to ``printed``.

    Examples
    --------
    >>> printed_interval("22.6")  # bit-exact: from Decimal
    (22.55, 22.65)
    >>> printed_interval("60")  # bit-exact: from Decimal
    (55.0, 65.0)
    >>> printed_interval("40", zeros_significant=True)  # bit-exact: from Decimal
    (39.5, 40.5)
    >>> printed_interval("0.40")  # bit-exact: from Decimal
    (0.395, 0.405)
    """
    value = _decimal(printed)
    exponent = value.as_tuple().exponent
    if not zeros_significant:
        exponent += _trailing_zeros(value)
    half = Decimal(5) * Decimal(10) ** (exponent - 1)
    return float(value - half), float(value + half)


def rounds_to(value: float, printed: str, zeros_significant: bool = False) -> bool:
    """Whether ``value`` rounds to the figure ``printed`` at its printed precision.

    Examples
    --------
    >>> rounds_to(527.79, "528"), rounds_to(21.36, "22.6"), rounds_to(40.67, "40")
    (True, False, True)
    >>> rounds_to(40.67, "40", zeros_significant=True)
    False
    """
    low, high = printed_interval(printed, zeros_significant)
    return low <= value < high


def rounds_up_to(value: float, printed: str, zeros_significant: bool = False) -> bool:
    """Whether ``value`` rounded *up* to the printed precision gives ``printed``.

    Some tools print sizes this way (``ls -h`` shows 7.82 MiB as 7.9M), so a
    printed size can be the ceiling rather than the nearest value.

    Examples
    --------
    >>> rounds_up_to(7.815, "7.9"), rounds_up_to(7.95, "7.9"), rounds_to(7.815, "7.9")
    (True, False, False)
    """
    low, high = printed_interval(printed, zeros_significant)
    figure = float(_decimal(printed))
    return figure - (high - low) < value <= figure


def describe_reading(printed: str, zeros_significant: bool = False) -> str:
    """How a check read ``printed``: its interval and, for integers, why.

    Examples
    --------
    >>> describe_reading("60")
    '60 read as 55-65 (trailing zero of an integer not significant)'
    >>> describe_reading("40", zeros_significant=True)  # bit-exact: Decimal
    '40 read as 39.5-40.5 (trailing zero read as significant)'
    >>> describe_reading("1.54")  # bit-exact: Decimal
    '1.54 read as 1.535-1.545'
    """
    low, high = printed_interval(printed, zeros_significant)
    zeros = _trailing_zeros(_decimal(printed))
    text = f"{printed} read as {low:g}-{high:g}"
    if zeros:
        plural = "s" if zeros > 1 else ""
        text += (f" (trailing zero{plural} read as significant)" if zeros_significant
                 else f" (trailing zero{plural} of an integer not significant)")  # fmt: skip
    return text
