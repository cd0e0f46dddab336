"""The worked family: the texts' worked examples recomputed with torch."""

from __future__ import annotations

import pytest

from analysis.claims import Verdict, run_claim
from analysis.claims import worked as worked_claims
from analysis.shapes_worked import (
    FOUNDATIONS_FILTER,
    FOUNDATIONS_IMAGE,
    FOUNDATIONS_PRINTED,
    single_cell_repairs,
)

EXPECTED = {
    # source: 002_c109f77ff76ed8b6.txt Figure 6
    "worked.bilici-figure6": Verdict.CONFIRMED,
    # source: 004_e138cd620735c755.txt §3.2.3 (maps follow only after one image edit)
    "worked.foundations-feature-maps": Verdict.REFUTED,
    # source: 004_e138cd620735c755.txt §3.2.3, (3*3*3 + 1)*2 = 56
    "worked.foundations-56-params": Verdict.CONFIRMED,
    # source: 004_e138cd620735c755.txt §3.2.3 (input channels garbled in the transcription)
    "worked.foundations-two-filter-values": Verdict.INCONCLUSIVE,
    # source: 003_6ff731d493f5c8c8.txt §2.1.5, 38 million weights
    "worked.xu-fc-38-million": Verdict.CONFIRMED,
    # source: 002_c109f77ff76ed8b6.txt §2.1, 512 x 511 x 3 = 784896
    "worked.bilici-lena-conv-flops": Verdict.CONFIRMED,
    # source: 002_c109f77ff76ed8b6.txt §2.1, 512 x 512 x 511 x 512 (entries, not flops)
    "worked.bilici-lena-matmul-flops": Verdict.REFUTED,
}


@pytest.mark.parametrize("claim_id", sorted(EXPECTED))
def test_worked_verdicts(claim_id):
    claim = next(c for c in worked_claims.CLAIMS if c.id == claim_id)
    result = run_claim(claim).result
    assert result.verdict is EXPECTED[claim_id], result.summary
    if result.verdict is Verdict.REFUTED:
        assert result.correction is not None


def test_foundations_image_needs_exactly_one_edit():
    # source: 004_e138cd620735c755.txt §3.2.3 image; row 2, column 4 flipped 0 -> 1
    assert single_cell_repairs(FOUNDATIONS_IMAGE, FOUNDATIONS_FILTER, FOUNDATIONS_PRINTED) == [
        (1, 3, 1)
    ]


def test_single_cell_repairs_finds_nothing_when_maps_already_follow():
    # All-zero image, all-ones kernel, all-zero printed map: every single flip makes
    # some output 1, so no flip reconciles (the search must be able to say "none").
    image = ((0, 0, 0), (0, 0, 0), (0, 0, 0))
    kernel = ((1, 1), (1, 1))
    printed = {1: ((0, 0), (0, 0))}
    assert single_cell_repairs(image, kernel, printed) == []


def test_feature_map_evidence_shows_torch_and_printed_maps():
    claim = next(c for c in worked_claims.CLAIMS if c.id == "worked.foundations-feature-maps")
    evidence = run_claim(claim).result.evidence
    assert evidence["a00"] == 4  # the text's worked element, which does follow
    assert evidence["torch_stride1"] != evidence["printed_stride1"]
