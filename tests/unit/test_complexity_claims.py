"""Every complexity/networks claim runs, and each refuted one carries its correction."""

from __future__ import annotations

import json

import pytest

from analysis.claims import Verdict, run_claim
from analysis.claims import complexity as complexity_claims
from analysis.claims import networks as network_claims

CLAIMS = complexity_claims.CLAIMS + network_claims.CLAIMS


@pytest.mark.parametrize("claim", CLAIMS, ids=lambda c: c.id)
def test_claim_runs_and_explains_itself(claim):
    result = run_claim(claim).result
    assert result.verdict is not Verdict.ERROR, result.evidence.get("traceback")
    json.dumps(dict(result.evidence), allow_nan=False)
    if result.verdict is Verdict.REFUTED:
        assert result.correction is not None and result.correction.statement


def test_published_reference_claims_are_confirmed():
    # source: paper — torchvision alexnet 61,100,840; bvlc_alexnet 60,965,224; vgg16 138,357,544
    wanted = {"complexity.alexnet-torchvision-params", "complexity.alexnet-two-tower-params",
              "complexity.vgg16-params", "complexity.vgg19-params"}  # fmt: skip
    verdicts = {c.id: run_claim(c).result.verdict for c in CLAIMS if c.id in wanted}
    assert verdicts == dict.fromkeys(wanted, Verdict.CONFIRMED)


def test_ndsb_ratios_are_refuted_whatever_the_alexnet_baseline():
    # source: 003 §6.2 — 12x and 6x; every reading in the evidence stays below 4x
    for claim in CLAIMS:
        if claim.id in ("complexity.ndsb1-12x-alexnet", "complexity.ndsb2-6x-alexnet"):
            result = run_claim(claim).result
            assert result.verdict is Verdict.REFUTED
            assert max(result.evidence["readings"].values()) < 4
