"""The shapes family: symbolic proofs, checks that can go either way, and the registry."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
import sympy

from analysis.claims import Verdict, run_claim
from analysis.claims import shapes as shape_claims
from analysis.shapes_checks import check_printed_unfloored
from analysis.shapes_proofs import (
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


def test_printed_check_refutes_the_unfloored_formula_with_a_verified_correction():
    # source: 004_e138cd620735c755.txt §3.2.3, W2 = (W1 - F + 2P)/S + 1 (e.g. 6, 3, 2, 0 -> 2.5)
    def printed(w1, f, s, p):
        return Fraction(w1 - f + 2 * p, s) + 1

    result = check_printed_unfloored(printed, "W2", "floor((W1 - F + 2P)/S) + 1")()
    assert result.verdict is Verdict.REFUTED
    assert result.correction is not None
    assert "True" in result.correction.verification
    assert result.evidence["differ"] > 0


EXPECTED = {
    "shapes.texts-conv-forms-agree": Verdict.CONFIRMED,
    "shapes.bilici-pooling-formula": Verdict.REFUTED,
    "shapes.bilici-no-overlap": Verdict.CONFIRMED,
    "shapes.bilici-half-padding": Verdict.CONFIRMED,
    "shapes.bilici-full-padding": Verdict.CONFIRMED,
    "shapes.bilici-mnist-shapes": Verdict.CONFIRMED,
    "shapes.bilici-mnist-conv2-padding": Verdict.REFUTED,
    "shapes.foundations-stride2-size": Verdict.CONFIRMED,
    "shapes.xu-ndsb1-table-6-1": Verdict.CONFIRMED,
    "shapes.xu-ndsb2-table-6-2": Verdict.CONFIRMED,
    "shapes.pytorch-ceil-mode-bare": Verdict.REFUTED,
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
