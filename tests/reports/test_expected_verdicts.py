"""Every fast claim's verdict matches the committed expectations.

A change that flips a verdict (a fix, a regression, a new finding) fails here
until `make expect` rewrites tests/expected_verdicts.json and the diff is
reviewed. Slow claims (sweeps, training) are compared by the `slow` variant.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cnnbench.analysis.claims import AS_STATED, SEVERITIES
from cnnbench.reports.cli import app
from typer.testing import CliRunner

EXPECT = Path(__file__).resolve().parents[1] / "expected_verdicts.json"


def _check(tmp_path, *extra: str) -> list[dict]:
    out = tmp_path / "check.json"
    result = CliRunner().invoke(app, ["check", "--quiet", "--expect", str(EXPECT),
                                      "--json", str(out), *extra])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "verdicts match" in result.output
    rows = json.loads(out.read_text())
    _judged_fairly(rows)
    return rows


def _judged_fairly(rows: list[dict]) -> None:
    """Issue 10's contract on every result: readings, severity, same_as, caveats."""
    ids = {r["id"] for r in rows}
    for r in rows:
        readings = r["evidence"].get("readings")
        if r["verdict"] in ("confirmed", "refuted"):
            assert readings, r["id"]  # every check that can refute says what it read
        if r["verdict"] == "refuted":
            assert r["severity"] in SEVERITIES and (r["severity_reason"] or r["same_as"]), r["id"]
            assert readings[0]["reading"] != AS_STATED, r["id"]  # readings were thought about
            assert not any(x["holds"] for x in readings if x.get("reasonable", True)), r["id"]
            assert r["same_as"] is None or r["same_as"] in ids, r["id"]
        else:
            assert r["severity"] is None and r["same_as"] is None, r["id"]
        assert r["caveat"] is None or r["verdict"] == "confirmed", r["id"]


def test_fast_verdicts_match_expectations(tmp_path):
    _check(tmp_path, "--skip-slow")


@pytest.mark.slow
def test_all_verdicts_match_expectations(tmp_path):
    _check(tmp_path)
