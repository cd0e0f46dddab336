"""Every message of cnnbench.analysis._validation names the parameter and echoes its value."""

from __future__ import annotations

import numpy as np
import pytest
from cnnbench.analysis._validation import ParameterError, as_choice, as_int, as_real


@pytest.mark.parametrize(
    ("value", "minimum", "message"),
    [
        (0, 1, "`stride`=0 must be a positive integer"),
        (-1, 0, "`stride`=-1 must be a non-negative integer"),
        (2.0, 1, "`stride`=2.0 must be a positive integer"),
        (True, 1, "`stride`=True must be a positive integer"),
        ("3", None, "`stride`='3' must be an integer"),
        (1, 2, "`stride`=1 must be an integer >= 2"),
    ],
)
def test_as_int_messages(value, minimum, message):
    with pytest.raises(ParameterError) as info:
        as_int("stride", value, minimum=minimum)
    assert str(info.value) == message
    assert info.value.name == "stride" and isinstance(info.value, ValueError)


def test_as_int_accepts_numpy_integers():
    assert as_int("n", np.int64(3), minimum=1) == 3


def test_as_real_messages():
    with pytest.raises(ParameterError, match=r"^`t`=0 must be a finite real number in \(0, 1\]$"):
        as_real("t", 0, lower=0, upper=1, lower_open=True)
    with pytest.raises(ParameterError, match=r"^`t`=inf must be a finite real number$"):
        as_real("t", float("inf"))
    with pytest.raises(ParameterError, match=r"^`t`='x' must be a real number$"):
        as_real("t", "x")
    assert as_real("t", 1, lower=0, upper=1, lower_open=True) == 1.0  # bit-exact: float(1)


def test_as_choice_message():
    with pytest.raises(ParameterError, match=r"^`mode`='x' must be one of 'a', 'b'$"):
        as_choice("mode", "x", ["a", "b"])


def test_as_int_with_a_maximum_gives_the_range_and_the_reason():
    from cnnbench.analysis._validation import ParameterError, as_int

    assert as_int("depth", 200, minimum=1, maximum=200, reason="r") == 200
    with pytest.raises(ParameterError, match=r"`depth`=201 must be an integer in \[1, 200\]: why"):
        as_int("depth", 201, minimum=1, maximum=200, reason="why")
    with pytest.raises(ParameterError, match=r"`depth`=1.5 must be an integer in \[1, 200\]"):
        as_int("depth", 1.5, minimum=1, maximum=200)
