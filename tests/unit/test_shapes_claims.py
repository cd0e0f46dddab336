"""The shapes family: symbolic proofs, checks that can go either way, and the registry."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import sympy
from cnnbench.analysis.claims import Verdict, run_claim
from cnnbench.analysis.shapes import claims as shape_claims
from cnnbench.analysis.shapes.checks import check_printed_unfloored
from cnnbench.analysis.shapes.proofs import (
    W1,
    F,
    P,
    S,
    prove_division_algorithm,
    prove_full_padding,
    prove_half_padding,
    prove_no_overlap_pool,
    prove_texts_conv_forms_agree,
)


@pytest.mark.parametrize(
    "prove",
    [prove_texts_conv_forms_agree, prove_division_algorithm, prove_no_overlap_pool,
     prove_half_padding, prove_full_padding],
)  # fmt: skip
def test_proofs_go_through(prove):
    proof = prove()
    assert proof.holds, proof.steps


def test_floor_matters_symbolically():
    # The unfloored and floored forms are different expressions: sympy must not
    # be able to simplify their difference away (else the proofs prove nothing).
    m = W1 - F + 2 * P
    assert sympy.simplify((m / S + 1) - (sympy.floor(m / S) + 1)) != 0


def test_printed_check_confirms_a_floored_formula():
    # source: 004_e138cd620735c755.txt §3.2.3 W2 with the correction applied
    def floored(w1, f, s, p):
        return Fraction(math.floor(Fraction(w1 - f + 2 * p, s)) + 1)

    assert check_printed_unfloored(floored, "W2", "same")().verdict is Verdict.CONFIRMED


def test_printed_unfloored_formula_confirmed_with_the_divisibility_caveat():
    # source: 004_e138cd620735c755.txt §3.2.3, W2 = (W1 - F + 2P)/S + 1 (e.g. 6, 3, 2, 0 -> 2.5);
    # issue 10: judged like half padding, exact where S divides the numerator, floor elsewhere
    def printed(w1, f, s, p):
        return Fraction(w1 - f + 2 * p, s) + 1

    result = check_printed_unfloored(printed, "W2", "floor((W1 - F + 2P)/S) + 1")()
    assert result.verdict is Verdict.CONFIRMED
    assert "stride divides" in result.caveat
    literal, divisible = result.evidence["readings"]
    assert not literal["holds"] and Fraction(literal["first_fraction"]["printed"]).denominator > 1
    assert divisible["holds"] and divisible["divisible_settings"] > 0


def test_printed_formula_wrong_where_it_is_an_integer_is_refuted():
    # a formula that misses the "+ 1" is wrong even where S divides the numerator
    def missing_one(w1, f, s, p):
        return Fraction(w1 - f + 2 * p, s)

    result = check_printed_unfloored(missing_one, "W2", "floor((W1 - F + 2P)/S) + 1")()
    assert result.verdict is Verdict.REFUTED
    assert not any(r["holds"] for r in result.evidence["readings"])


EXPECTED = {
    "shapes.texts-conv-forms-agree": Verdict.CONFIRMED,
    "shapes.bilici-pooling-formula": Verdict.REFUTED,
    "shapes.bilici-no-overlap": Verdict.CONFIRMED,  # with the divisibility caveat
    "shapes.bilici-half-padding": Verdict.CONFIRMED,
    "shapes.bilici-full-padding": Verdict.CONFIRMED,
    "shapes.bilici-mnist-shapes": Verdict.CONFIRMED,
    "shapes.bilici-mnist-conv2-padding": Verdict.REFUTED,
    "shapes.foundations-stride2-size": Verdict.CONFIRMED,
    "shapes.xu-ndsb1-table-6-1": Verdict.CONFIRMED,
    "shapes.xu-ndsb2-table-6-2": Verdict.CONFIRMED,
    "shapes.pytorch-ceil-mode-bare": Verdict.CONFIRMED,  # read with the same page's Note
    "shapes.pytorch-pool-padding-range": Verdict.CONFIRMED,
}


@pytest.mark.parametrize("claim_id", sorted(EXPECTED))
def test_claim_verdicts(claim_id):
    # source: the claim's own seed and locator (see analysis/claims/shapes.py)
    claim = next(c for c in shape_claims.CLAIMS if c.id == claim_id)
    result = run_claim(claim).result
    assert result.verdict is EXPECTED[claim_id], result.summary
    if result.verdict is Verdict.REFUTED:
        assert result.correction is not None


def test_every_fast_shapes_claim_runs_without_error():
    for claim in shape_claims.CLAIMS:
        if not claim.slow:
            assert run_claim(claim).result.verdict is not Verdict.ERROR, claim.id


def test_sweep_claims_are_slow_and_cover_four_operators():
    slow = {c.id for c in shape_claims.CLAIMS if c.slow}
    assert slow == {"shapes.pytorch-conv2d", "shapes.pytorch-maxpool2d",
                    "shapes.pytorch-avgpool2d", "shapes.pytorch-convtranspose2d"}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    "claim_id",
    ["shapes.pytorch-conv2d", "shapes.pytorch-maxpool2d", "shapes.pytorch-avgpool2d",
     "shapes.pytorch-convtranspose2d"],
)  # fmt: skip
def test_full_sweeps_confirm(claim_id):
    claim = next(c for c in shape_claims.CLAIMS if c.id == claim_id)
    result = run_claim(claim).result
    assert result.verdict is Verdict.CONFIRMED, result.summary
    assert result.evidence["configs"] >= 100_000
    assert result.evidence["unexplained_count"] == 0


def test_no_overlap_is_judged_like_the_unfloored_conv_formulas():
    # source: 002 "If no overlapping: W2 = W1/F"; exact only when F divides W1, which for
    # W1 <= 64, F <= 8 (F <= W1) is sum over F of floor(64/F) settings
    result = run_claim(
        next(c for c in shape_claims.CLAIMS if c.id == "shapes.bilici-no-overlap")
    ).result
    divides = sum(64 // f for f in range(1, 9))
    assert result.evidence["printed_exact"] == divides
    assert result.evidence["torch_agree_floored"] == result.evidence["settings"]
    assert result.verdict is Verdict.CONFIRMED and result.correction is None
    assert result.caveat.startswith("Exact when F divides W1") and "floor(W1/F)" in result.caveat


@pytest.mark.parametrize("name", ["ndsb1", "ndsb2"])
def test_ndsb_shape_summaries_state_the_ceil_mode_dependence(name):
    # source: 003 Tables 6.1/6.2 print 64 (72) after a 3x3/2 pool on 128 (144): floor gives 63 (71)
    from cnnbench.analysis.shapes.texts import ceil_mode_dependence, check_network_shapes

    pools = ceil_mode_dependence(name)
    first = pools[0]
    assert first["floor"] == (first["input"] - 3) // 2 + 1
    assert first["ceil"] == -(-(first["input"] - 3) // 2) + 1
    summary = check_network_shapes(name).summary
    assert "relies on ceil-mode pooling" in summary
    assert f"ceil {first['ceil']}, floor {first['floor']}" in summary
