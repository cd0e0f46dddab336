"""`cnnbench check`: exit codes, JSON keys, expectations, and its usage errors."""

from __future__ import annotations

import json

import pytest
from cnnbench.analysis.claims import Claim, confirmed, reading, refuted
from cnnbench.analysis.seeds import BILICI, XU_THESIS
from cnnbench.reports.cli import app
from cnnbench.reports.cli import check as check_cmd
from typer.testing import CliRunner

runner = CliRunner()


def _fake_claims():
    def crash():
        raise RuntimeError("kaput")

    return (
        Claim(
            "fake.good", XU_THESIS, "§4.3 eq. (4.5)", "x holds", lambda: confirmed("numeric", "ok")
        ),
        Claim("fake.bad", BILICI, "Figure 6", "y holds",
              lambda: refuted("arithmetic", "y fails", readings=[reading("as printed", False)]),
              severity="slip", severity_reason="a typo"),
        Claim("other.crash", BILICI, "§2", "z holds", crash, slow=True),
    )


@pytest.fixture
def fake_registry(monkeypatch):
    monkeypatch.setattr(check_cmd, "all_claims", _fake_claims)


def test_check_refuted_is_a_finding_exit_0(fake_registry, tmp_path):
    out = tmp_path / "out.json"
    result = runner.invoke(app, ["check", "--skip-slow", "--json", str(out)])
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text())
    assert [r["id"] for r in rows] == ["fake.good", "fake.bad"]
    for key in ("id", "source", "statement", "verdict", "method", "evidence", "correction"):
        assert key in rows[0]
    assert rows[1]["verdict"] == "refuted" and rows[1]["severity"] == "slip"
    assert "2 claims" in result.output
    assert "(slip)" in result.output  # the table shows the severity beside the verdict
    assert "refuted: 1 distinct errors (1 slip)" in result.output


def test_check_crash_exits_1_and_names_the_claim(fake_registry):
    result = runner.invoke(app, ["check", "--only", "crash"])
    assert result.exit_code == 1
    assert "other.crash" in result.output and "kaput" in result.output


def test_check_expect_matching_exits_0(fake_registry, tmp_path):
    exp = tmp_path / "exp.json"
    exp.write_text(
        json.dumps({"fake.good": "confirmed", "fake.bad": "refuted", "other.crash": "error"})
    )
    result = runner.invoke(app, ["check", "--skip-slow", "--expect", str(exp)])
    assert result.exit_code == 0, result.output
    assert "verdicts match" in result.output


def test_check_expect_flipped_verdict_exits_1(fake_registry, tmp_path):
    exp = tmp_path / "exp.json"
    exp.write_text(json.dumps({"fake.good": "refuted", "fake.bad": "refuted"}))
    result = runner.invoke(app, ["check", "--skip-slow", "--expect", str(exp)])
    assert result.exit_code == 1
    assert "fake.good: expected refuted, got confirmed" in result.output


def test_check_write_expect_round_trips(fake_registry, tmp_path):
    exp = tmp_path / "exp.json"
    exp.write_text(json.dumps({"gone.claim": "confirmed", "other.crash": "error"}))
    result = runner.invoke(app, ["check", "--skip-slow", "--write-expect", str(exp)])
    assert result.exit_code == 0, result.output
    assert json.loads(exp.read_text()) == {
        "fake.bad": "refuted",
        "fake.good": "confirmed",
        "other.crash": "error",  # not run (slow) but still registered: kept
    }


def test_check_bad_regex_exits_2(fake_registry):
    result = runner.invoke(app, ["check", "--only", "("])
    assert result.exit_code == 2
    assert "`--only`='(' is not a valid regular expression" in result.output


def test_check_pattern_matching_nothing_exits_2(fake_registry):
    result = runner.invoke(app, ["check", "--only", "nomatch"])
    assert result.exit_code == 2
    assert "`--only`='nomatch' matches no claim id or source" in result.output


def test_check_missing_expect_file_exits_2(fake_registry, tmp_path):
    result = runner.invoke(app, ["check", "--expect", str(tmp_path / "none.json")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_check_malformed_expect_file_exits_2(fake_registry, tmp_path):
    exp = tmp_path / "exp.json"
    exp.write_text(json.dumps({"fake.good": "maybe"}))
    result = runner.invoke(app, ["check", "--expect", str(exp)])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "`--expect`:" in text and "key 'fake.good': is \"maybe\"; expected one of" in text


def test_check_groups_table_by_seed(fake_registry):
    result = runner.invoke(app, ["check", "--skip-slow"])
    assert XU_THESIS in result.output and BILICI in result.output


def test_check_interrupted_or_lost_workers_keep_what_finished(monkeypatch, tmp_path):
    from cnnbench.analysis.claims import run_claims
    from cnnbench.analysis.claims._plan import PlanOutcome

    claims = _fake_claims()[:2]
    done = tuple(run_claims(claims[:1]))
    for outcome, code, says in (
        (PlanOutcome(done, ("fake.bad",), "interrupted (Ctrl-C)", True), 130,
         "interrupted (Ctrl-C): kept 1 finished claims"),
        (PlanOutcome(done, ("fake.bad",), "no worker of tcp://h:1 could run the remaining tasks"),
         1, "could run the remaining tasks: kept 1 finished claims"),
    ):  # fmt: skip
        monkeypatch.setattr(check_cmd, "all_claims", lambda: claims)
        monkeypatch.setattr(check_cmd, "run_checks", lambda c, o, outcome=outcome: outcome)
        out = tmp_path / "out.json"
        r = runner.invoke(app, ["check", "--workers", "2", "--json", str(out)])
        assert r.exit_code == code, r.output
        text = " ".join(r.output.split())
        assert says in text and "1 missing: fake.bad" in text
        assert [row["id"] for row in json.loads(out.read_text())] == ["fake.good"]


def test_a_claims_file_runs_here_only(tmp_path):
    from pathlib import Path

    toml = Path(__file__).resolve().parents[2] / "docs/examples/claims.toml"
    r = runner.invoke(app, ["check", "--claims", str(toml), "--workers", "2"])
    assert r.exit_code == 2
    text = " ".join(r.output.split())
    assert "runs in this process only: workers look claims up in their own registry" in text
