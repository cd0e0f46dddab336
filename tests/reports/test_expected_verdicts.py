"""Every fast claim's verdict matches the committed expectations.

A change that flips a verdict (a fix, a regression, a new finding) fails here
until `make expect` rewrites tests/expected_verdicts.json and the diff is
reviewed. Slow claims (sweeps, training) are compared by the `slow` variant.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from reports.cli import app

EXPECT = Path(__file__).resolve().parents[1] / "expected_verdicts.json"


def _check(*extra: str):
    result = CliRunner().invoke(app, ["check", "--quiet", "--expect", str(EXPECT), *extra])
    assert result.exit_code == 0, result.output
    assert "verdicts match" in result.output


def test_fast_verdicts_match_expectations():
    _check("--skip-slow")


@pytest.mark.slow
def test_all_verdicts_match_expectations():
    _check()
