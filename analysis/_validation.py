"""Input validation shared by every public function in :mod:`analysis`.

Every error names the parameter, echoes its value and says what is allowed,
e.g. "`stride`=0 must be a positive integer".
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable


class ParameterError(ValueError):
    """A public function was given a value outside its domain.

    Attributes
    ----------
    name : the parameter's name as the caller spelt it.
    value : the offending value, echoed in the message.
    allowed : what would have been accepted.
    """

    def __init__(self, name: str, value: object, allowed: str) -> None:
        self.name = name
        self.value = value
        self.allowed = allowed
        super().__init__(f"`{name}`={value!r} {allowed}")


def as_int(
    name: str, value: object, *, minimum: int | None = None, maximum: int | None = None,
    reason: str = "",
) -> int:  # fmt: skip
    """Return ``value`` as an ``int``, refusing bools, floats and strings.

    ``minimum`` (inclusive) shapes the message: 1 reads "a positive integer",
    0 "a non-negative integer", anything else "an integer >= minimum".
    ``maximum`` (inclusive) bounds it above; ``reason`` then says why
    ("an integer in [1, 100]: <reason>").
    """
    kind = _int_kind(minimum) if maximum is None else f"an integer in [{minimum}, {maximum}]"
    kind += f": {reason}" if reason and maximum is not None else ""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParameterError(name, value, f"must be {kind}")
    out = int(value)
    if (minimum is not None and out < minimum) or (maximum is not None and out > maximum):
        raise ParameterError(name, value, f"must be {kind}")
    return out


def _int_kind(minimum: int | None) -> str:
    if minimum == 1:
        return "a positive integer"
    if minimum == 0:
        return "a non-negative integer"
    if minimum is None:
        return "an integer"
    return f"an integer >= {minimum}"


def as_real(
    name: str,
    value: object,
    *,
    lower: float | None = None,
    upper: float | None = None,
    lower_open: bool = False,
    upper_open: bool = False,
) -> float:
    """Return ``value`` as a finite ``float`` inside the stated interval."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        where = _interval(lower, upper, lower_open, upper_open)
        raise ParameterError(name, value, f"must be a real number{where}")
    out = float(value)
    bad = not math.isfinite(out)
    bad |= lower is not None and (out <= lower if lower_open else out < lower)
    bad |= upper is not None and (out >= upper if upper_open else out > upper)
    if bad:
        where = _interval(lower, upper, lower_open, upper_open)
        raise ParameterError(name, value, f"must be a finite real number{where}")
    return out


def _interval(lower, upper, lower_open, upper_open) -> str:
    if lower is None and upper is None:
        return ""
    lo = "-inf" if lower is None else f"{lower:g}"
    hi = "inf" if upper is None else f"{upper:g}"
    left = "(" if lower_open or lower is None else "["
    right = ")" if upper_open or upper is None else "]"
    return f" in {left}{lo}, {hi}{right}"


def as_choice(name: str, value: object, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``."""
    options = tuple(choices)
    if value not in options:
        raise ParameterError(name, value, f"must be one of {', '.join(map(repr, options))}")
    return value  # type: ignore[return-value]
