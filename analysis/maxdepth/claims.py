"""Claims of 003 §4.3 (maximum-depth design) and §6.2 (the NDSB networks built on it)."""

from __future__ import annotations

from cnnbench.analysis.claims._core import Claim
from cnnbench.analysis.maxdepth.checks import (
    check_closed_form,
    check_cvalue_constraint,
    check_image_constraint,
)
from cnnbench.analysis.maxdepth.checks_networks import check_ndsb, check_unique_optimum
from cnnbench.analysis.seeds import XU_THESIS

_CLOSED_FORM = (
    "for z = 2^(m-1)k/t, relaxing a_i to positive reals, the optimum is n = m,"
    " a_1 = k/((k-1)t), a_2 = ... = a_n = 1/(2a_1)"
)

CLAIMS = (
    Claim(
        "maxdepth.cvalue-constraint",
        XU_THESIS,
        "§4.3 eq. (4.3)",
        "c-value = real filter size / receptive field size >= t, written as"
        " sum_(i<=l) a_i 2^(i-1) <= 2^l k / (t(k-1)), l = 1..n",
        check_cvalue_constraint,
        severity="slip",
        severity_reason="2^l should be 2^(l-1) even in the text's own leading-order model; its "
        "closed form (4.5)-(4.6) is derived with 2^(l-1), so the argument does not use the "
        "printed exponent (a superscript the OCR may have garbled)",
    ),
    Claim(
        "maxdepth.image-constraint",
        XU_THESIS,
        "§4.3 eq. (4.4)",
        "the receptive field size should not be larger than the image size, written as"
        " sum_i a_i 2^(i-1) <= z/(k-1)",
        check_image_constraint,
    ),
    Claim(
        "maxdepth.closed-form-printed",
        XU_THESIS,
        "§4.3 eqs. (4.5)-(4.6) vs (4.2)-(4.4)",
        f"{_CLOSED_FORM} (as the optimum of (4.2)-(4.4) as printed)",
        lambda: check_closed_form("printed"),
        severity="slip",
        severity_reason="the mismatch is (4.3)'s exponent again",
        same_as="maxdepth.cvalue-constraint",
    ),
    Claim(
        "maxdepth.closed-form-derived",
        XU_THESIS,
        "§4.3 eqs. (4.5)-(4.6) vs the definitions",
        f"{_CLOSED_FORM} (the optimum of the design problem §4.3 defines: c-value >= t at"
        " every stage, receptive field within the image)",
        lambda: check_closed_form("derived"),
    ),
    Claim(
        "maxdepth.unique-optimum",
        XU_THESIS,
        "§4.3 (before eq. 4.2)",
        "there is an unique optimal solution under certain conditions",
        check_unique_optimum,
    ),
    Claim(
        "maxdepth.ndsb1-constraints",
        XU_THESIS,
        "§6.2, Table 6.1",
        "NDSB Network-1 is designed 'mainly based on (Equation 4.5)': its receptive field"
        " stays within the image (constraint 1)",
        lambda: check_ndsb("ndsb1"),
    ),
    Claim(
        "maxdepth.ndsb2-constraints",
        XU_THESIS,
        "§6.2, Table 6.2",
        "NDSB Network-2 is designed 'mainly based on (Equation 4.5)': its receptive field"
        " stays within the image (constraint 1)",
        lambda: check_ndsb("ndsb2"),
    ),
)
