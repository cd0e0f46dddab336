"""The claims registry's own contract: results are data, crashes are errors."""

from __future__ import annotations

import json

import pytest

from analysis.claims import (
    CheckResult,
    Claim,
    Correction,
    Verdict,
    all_claims,
    claim_factory,
    compare_expected,
    confirmed,
    refuted,
    run_claim,
    select_claims,
)
from analysis.seeds import SEEDS, XU_THESIS


def _claim(check, id="demo.one", slow=False):
    return Claim(id, XU_THESIS, "§4.3 eq. (4.5)", "a statement", check, slow=slow)


def test_result_is_frozen_and_json_ready():
    r = confirmed("numeric", "1 + 1 is 2", value=2)
    with pytest.raises(AttributeError):
        r.verdict = Verdict.REFUTED  # type: ignore[misc]
    with pytest.raises(TypeError):
        r.evidence["value"] = 3  # type: ignore[index]
    assert json.loads(json.dumps(dict(r.evidence))) == {"summary": "1 + 1 is 2", "value": 2}


def test_result_without_summary_is_refused():
    with pytest.raises(ValueError, match="summary"):
        CheckResult(Verdict.CONFIRMED, "numeric", {"value": 1})


def test_result_with_nan_evidence_is_refused():
    with pytest.raises(ValueError, match="JSON"):
        confirmed("numeric", "s", value=float("nan"))


def test_result_unknown_method_is_refused():
    with pytest.raises(ValueError, match="`method`='guess'"):
        confirmed("guess", "s")


def test_claim_bad_id_and_seed_are_refused():
    with pytest.raises(ValueError, match="`id`='NoDot'"):
        Claim("NoDot", XU_THESIS, "§1", "s", lambda: None)
    with pytest.raises(ValueError, match=r"`seed`='nowhere\.txt'"):
        Claim("a.b", "nowhere.txt", "§1", "s", lambda: None)


def test_crashing_check_becomes_error_verdict():
    def boom():
        raise ZeroDivisionError("no")

    out = run_claim(_claim(boom))
    assert out.result.verdict is Verdict.ERROR
    assert "ZeroDivisionError" in out.result.summary


def test_check_returning_wrong_type_is_an_error():
    out = run_claim(_claim(lambda: True))
    assert out.result.verdict is Verdict.ERROR
    assert "not CheckResult" in out.result.summary


def test_refuted_result_carries_correction_into_json():
    fix = Correction("W2 = floor((W1 - F + 2P)/S) + 1", "sympy, floor semantics")
    out = run_claim(_claim(lambda: refuted("symbolic", "off by one", fix)))
    data = out.to_json()
    assert data["verdict"] == "refuted"
    assert data["correction"] == {"statement": fix.statement, "verification": fix.verification}
    assert set(data) >= {"id", "source", "statement", "verdict", "method", "evidence", "correction"}


def test_select_claims_by_pattern_and_slowness():
    a = _claim(lambda: None, id="shapes.a")
    b = _claim(lambda: None, id="maxdepth.b", slow=True)
    assert select_claims([a, b], "shapes") == (a,)
    assert select_claims([a, b], "4.3") == (a, b)  # matches the source locator
    assert select_claims([a, b], None, skip_slow=True) == (a,)


def test_compare_expected_reports_changed_new_and_missing():
    ok = run_claim(_claim(lambda: confirmed("numeric", "s"), id="f.same"))
    flip = run_claim(_claim(lambda: confirmed("numeric", "s"), id="f.flip"))
    new = run_claim(_claim(lambda: confirmed("numeric", "s"), id="f.new"))
    expected = {"f.same": "confirmed", "f.flip": "refuted", "f.gone": "confirmed"}
    diffs = compare_expected([ok, flip, new], expected, registered=["f.same", "f.flip", "f.new"])
    assert [(d.id, d.expected, d.got) for d in diffs] == [
        ("f.flip", "refuted", "confirmed"),
        ("f.gone", "confirmed", None),
        ("f.new", None, "confirmed"),
    ]


def test_registry_ids_unique_and_sources_known():
    claims = all_claims()
    assert len({c.id for c in claims}) == len(claims)
    for c in claims:
        assert c.locator.strip(), c.id
    assert {c.seed for c in claims} <= {*SEEDS, "pytorch-docs", "paper"}


def test_claim_factory_prefixes_the_family():
    make = claim_factory("shapes")
    c = make("demo", XU_THESIS, "§4.3", "a statement", lambda: None, slow=True)
    assert (c.id, c.family, c.slow) == ("shapes.demo", "shapes", True)
    with pytest.raises(ValueError, match=r"`id`='shapes\.Bad Slug'"):
        make("Bad Slug", XU_THESIS, "§4.3", "s", lambda: None)
