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
        assert result.correction.verification
    summary = result.summary
    assert summary
    evidence = result.evidence
    if "printed_reading" in evidence:  # the summary says how the printed figure was read
        assert evidence["printed_reading"] in summary
    if isinstance(evidence.get("computed"), float):  # and gives the computed value
        assert f"{evidence['computed']:.4g}" in summary
    if "edit" in evidence:  # an edit is stated with whether it reconciles the figure
        verb = "matches" if evidence["edit"]["reconciles"] else "does not match"
        assert f"{evidence['edit']['printed']} -> {evidence['edit']['edited']}, {verb}" in summary


def _result(claim_id):
    return run_claim(next(c for c in CLAIMS if c.id == claim_id)).result


def test_alexnet_size_edit_is_the_rounded_mib_size():
    # source: 003 Table 4.7 prints 212 MB; the two-tower float32 weights take 232.6 MiB
    result = _result("complexity.table47-alexnet-size")
    edit = result.evidence["edit"]
    assert edit["edited"] == str(round(result.evidence["size_mib"]))
    assert edit["reconciles"] is True


def test_40_percent_is_read_like_table_4_7():
    # source: 003 §4.6 "40%" and Table 4.7 "0.40X": read at two significant figures
    result = _result("complexity.tinynet-40pct-of-alexnet")
    assert result.evidence["printed_interval"] == [39.5, 40.5]  # bit-exact: Decimal
    assert "Table 4.7" in result.summary
    computed = result.evidence["computed"]
    expected = (Verdict.CONFIRMED if 39.5 <= computed < 40.5
                else Verdict.INCONCLUSIVE if abs(computed - 40) / 40 <= 0.05
                else Verdict.REFUTED)  # fmt: skip
    assert result.verdict is expected


def test_table42_label_gives_the_count_without_pool5():
    # source: 003 Table 4.2 (two pools printed); fc6 then sees 256*13*13 inputs
    result = _result("complexity.alexnet-table42-params")
    as_printed = result.evidence["params_exactly_as_printed"]
    assert f"{as_printed:,}" in result.summary and "added pool5" in result.summary
    fc6_extra = (256 * 13 * 13 - 256 * 6 * 6) * 4096
    assert as_printed == result.evidence["params"] + fc6_extra


def test_ndsb_order_explanation_is_computed():
    # source: 003 Tables 6.1/6.2 (inputs 128x128 and 144x144)
    result = _result("complexity.ndsb1-costlier-than-ndsb2")
    diff = result.evidence["difference"]
    assert diff["inputs"] == {"ndsb1": [128, 128], "ndsb2": [144, 144]}
    extra = diff["extra_macs_by_layer"]
    assert sum(extra.values()) == result.evidence["ndsb2_macs"] - result.evidence["ndsb1_macs"]
    top = max(extra, key=extra.get)
    assert diff["largest"][0].startswith(top) and diff["largest"][0] in result.summary


def test_tinynet_corrections_name_the_reconstruction():
    result = _result("complexity.table47-tinynet-a-params")
    assert result.verdict is Verdict.REFUTED
    assert "reconstruct" in result.correction.statement
    assert "classifier" in result.correction.statement
    assert result.evidence["reconstruction_assumptions"]


def test_layer_count_claims_are_computed():
    # source: 003 §4.2.2 "5 convolutional layers, 3 max pooling layers and 3 fully connected"
    assert _result("networks.alexnet-layer-counts").verdict is Verdict.CONFIRMED
    pools = _result("networks.table42-lists-3-pools")
    assert pools.verdict is Verdict.REFUTED
    assert pools.evidence["table_counts"] == {"conv": 5, "fc": 3, "maxpool": 2}
    assert pools.evidence["added_layers"] == ["pool5"]
    assert pools.evidence["fc6_inputs_as_printed"] == 256 * 13 * 13


def test_table42_pool_count_follows_the_transcription(monkeypatch):
    # with the added pool marked as printed, the table would list the three pools
    from dataclasses import replace

    from analysis.claims import networks as nc
    from analysis.networks import get_network

    spec = get_network("alexnet")
    marked = replace(spec, layers=tuple(replace(x, note="") for x in spec.layers))
    monkeypatch.setattr(nc, "get_network", lambda name: marked)
    assert nc.check_table42_pools().verdict is Verdict.CONFIRMED


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
