"""Claims about Taylor coefficients of activations (003 §5.5.2 and §5.7)."""

from __future__ import annotations

from cnnbench.analysis.activations.taylor_checks import (
    check_eq_5_33,
    check_eq_5_34,
    check_eq_5_36,
    check_observation_2,
)
from cnnbench.analysis.claims._core import Claim
from cnnbench.analysis.seeds import XU_THESIS

CLAIMS = (
    Claim(
        "taylor.sigmoid-expansion-eq-5-33",
        XU_THESIS,
        "§5.5.2 eq. (5.33)",
        "at 0, the Taylor expansion of the Sigmoid is f(x) = 1/2 + x/4 + x²/48 + … (as printed)",
        check_eq_5_33,
        severity="slip",
        severity_reason="the third term is -x³/48, not x²/48; the text truncates to 1/2 + x/4 "
        "at once, which is right, and (5.34)-(5.36) use only that",
    ),
    Claim(
        "taylor.sigmoid-slope-eq-5-34",
        XU_THESIS,
        "§5.5.2 eq. (5.34)",
        "approximating sigmoid at 0 by 1/2 + x/4, f'(0) = 0.25",
        check_eq_5_34,
    ),
    Claim(
        "taylor.sigmoid-star-slope-eq-5-36",
        XU_THESIS,
        "§5.5.2 eq. (5.36)",
        "Sigmoid*(x) = 4·Sigmoid(x) − 2 fixes the problem that f'(0) = 1/4 (Xavier assumes ≈ 1)",
        check_eq_5_36,
    ),
    Claim(
        "taylor.slope-one-at-0-plus",
        XU_THESIS,
        "§5.7 observation 2, Table 5.3",
        "for activations able to converge from random initialization, the coefficient of x in "
        "the Taylor series at 0⁺ is 1",
        check_observation_2,
    ),
)
