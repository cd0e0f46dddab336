"""The claims registry's own contract: results are data, crashes are errors."""

from __future__ import annotations

import json

import pytest
from cnnbench.analysis.claims import (
    AS_STATED,
    CheckResult,
    Claim,
    Correction,
    Verdict,
    all_claims,
    claim_factory,
    compare_expected,
    confirmed,
    reading,
    refuted,
    run_claim,
    select_claims,
)
from cnnbench.analysis.seeds import SEEDS, XU_THESIS


def _claim(check, id="demo.one", slow=False, **judgement):
    return Claim(id, XU_THESIS, "§4.3 eq. (4.5)", "a statement", check, slow=slow, **judgement)


def test_result_is_frozen_and_json_ready():
    r = confirmed("numeric", "1 + 1 is 2", value=2)
    with pytest.raises(AttributeError):
        r.verdict = Verdict.REFUTED  # type: ignore[misc]
    with pytest.raises(TypeError):
        r.evidence["value"] = 3  # type: ignore[index]
    assert json.loads(json.dumps(dict(r.evidence))) == {
        "summary": "1 + 1 is 2", "value": 2, "readings": [{"reading": AS_STATED, "holds": True}]}


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
    tried = [reading("as printed", False), reading("floor division", False)]
    out = run_claim(_claim(lambda: refuted("symbolic", "off by one", fix, readings=tried),
                           severity="slip", severity_reason="a dropped floor"))
    data = out.to_json()
    assert data["verdict"] == "refuted" and data["severity"] == "slip"
    assert data["correction"] == {"statement": fix.statement, "verification": fix.verification}
    assert set(data) >= {"id", "source", "statement", "verdict", "method", "evidence", "correction",
                         "severity", "severity_reason", "same_as", "caveat"}


def test_refutation_needs_readings_none_of_which_holds():
    # issue 10: a claim is refuted only when no reasonable reading saves it
    with pytest.raises(ValueError, match="readings"):
        refuted("symbolic", "wrong")
    with pytest.raises(ValueError, match="although these readings hold"):
        refuted("symbolic", "wrong", readings=[reading("MiB", True), reading("MB", False)])
    # a reading tried and rejected as unreasonable may hold without saving the claim
    ok = refuted("symbolic", "wrong", readings=[
        reading("as printed", False), reading("an edit", True, reasonable=False, why="edit")])
    assert ok.verdict is Verdict.REFUTED


def test_severity_and_caveat_belong_to_the_right_verdicts():
    with pytest.raises(ValueError, match="only a refuted result"):
        CheckResult(Verdict.CONFIRMED, "numeric", {"summary": "s"}, severity="slip")
    with pytest.raises(ValueError, match="one of substantive"):
        refuted("numeric", "s", severity="typo", readings=[reading("x", False)])
    with pytest.raises(ValueError, match="caveat"):
        CheckResult(Verdict.INCONCLUSIVE, "numeric", {"summary": "s"}, caveat="c")
    with pytest.raises(ValueError, match="`severity`='grave'"):
        _claim(lambda: None, severity="grave")
    assert confirmed("numeric", "s", caveat="exact when S divides").caveat


def test_same_as_counts_an_error_once():
    first = run_claim(_claim(lambda: refuted("numeric", "x", readings=[reading("r", False)]),
                             id="f.first", severity="slip"))
    again = run_claim(_claim(lambda: refuted("numeric", "x", readings=[reading("r", False)]),
                             id="f.again", severity="slip", same_as="f.first"))
    held = run_claim(_claim(lambda: confirmed("numeric", "x"), id="f.held", same_as="f.first"))
    assert (first.same_as, again.same_as, held.same_as) == (None, "f.first", None)
    from cnnbench.reports.cli.check import severity_line

    line = severity_line([first, again, held])
    assert "1 distinct errors (1 slip)" in line and "1 more refute" in line


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
