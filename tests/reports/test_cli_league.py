"""`cnnbench league` and the report's league section: numbers against closed forms and
quadrature written here, the file round trip, and the usage errors (exit 2)."""

from __future__ import annotations

import json
import math

import pytest
from cnnbench.reports.cli import app
from scipy import integrate, optimize
from typer.testing import CliRunner

runner = CliRunner()


@pytest.fixture(scope="module")
def league_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("league") / "league.json"
    result = runner.invoke(app, ["league", "--names", "relu,tanh,mish", "--json", str(path)])
    assert result.exit_code == 0, result.output
    return path


def _gauss(g) -> float:
    return integrate.quad(lambda z: g(z) * math.exp(-z * z / 2) / math.sqrt(2 * math.pi),
                          -40, 40, limit=400)[0]  # fmt: skip


def test_league_rows_against_closed_forms_and_quadrature(league_file):
    data = json.loads(league_file.read_text())
    rows = {r["activation"]: r for r in data["rows"]}
    assert list(rows) == ["relu", "tanh", "mish"]
    assert data["sigma_b"] == 0.1  # bit-exact: the option's value through JSON
    relu, tanh, mish = rows["relu"], rows["tanh"], rows["mish"]
    # ReLU: E[relu(z)²] = 1/2 -> gain √2; χ₁ = σ_w²/2 -> ξ_∇ = 1/ln 2 at σ_w = 1, ∞ at √2
    assert relu["gain_forward"] == pytest.approx(math.sqrt(2), rel=1e-9)
    assert relu["depth_gradient_xavier"] == pytest.approx(1 / math.log(2), rel=1e-9)
    assert relu["depth_gradient_kaiming"] == "inf" and relu["phase_kaiming"] == "critical"
    assert mish["slope_at_0_plus"] == "3/5" and tanh["gain_torch"] == pytest.approx(5 / 3)

    def chi_minus_one(sw: float) -> float:  # tanh at σ_b = 0.1, fixed point from q = 1
        q = 1.0
        for _ in range(2000):
            q = sw * sw * _gauss(lambda z, q=q: math.tanh(math.sqrt(q) * z) ** 2) + 0.01
        return sw * sw * _gauss(lambda z: (1 - math.tanh(math.sqrt(q) * z) ** 2) ** 2) - 1

    assert tanh["edge_sigma_w"] == pytest.approx(optimize.brentq(chi_minus_one, 1.0, 1.5),
                                                 rel=1e-6)  # fmt: skip
    assert tanh["command"] == "cnnbench activation tanh --sigma-b 0.1"


def test_report_shows_the_league_section(league_file, tmp_path):
    from cnnbench.reports.league_section import league_section
    from cnnbench.reports.render import render_html
    from cnnbench.reports.sections import ReportInputs

    none = tmp_path / "none"
    inputs = ReportInputs(none, none, none, none, league_json=league_file)
    html = render_html((), [league_section(inputs)], generated="now")
    assert 'id="league"' in html and "activation league table" in html
    assert "<td>mish</td><td>3/5</td>" in html and 'class="sortable"' in html
    assert "cnnbench activation NAME --sigma-b 0.1" in html
    missing = league_section(ReportInputs(none, none, none, none, league_json=none))
    assert missing.missing and "cnnbench league --time --train --json" in missing.missing[0]


@pytest.mark.parametrize(("text", "message"), [
    ("{", "not a league table"),
    ('{"schema": 99, "rows": [], "sigma_b": 0.1}', "not a league table of schema 1"),
    ('{"schema": 1, "rows": [{"activation": "x"}], "sigma_b": 0.1}', "row 0 lacks user"),
])  # fmt: skip
def test_report_refuses_a_damaged_league_file(tmp_path, text, message):
    bad = tmp_path / "league.json"
    bad.write_text(text)
    result = runner.invoke(app, ["report", "--league", str(bad), "--out", str(tmp_path / "r.html"),
                                 "--check", str(tmp_path / "c.json")])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())


@pytest.mark.parametrize(("args", "message"), [
    (["--names", "relu,sigmod"], "did you mean 'sigmoid'"),
    (["--names", " , "], "`--names`=' , ' must name at least one activation"),
    (["--sigma-b", "-0.5"], "`--sigma-b`=-0.5 must be in [0, 30]"),
])  # fmt: skip
def test_league_usage_errors_exit_2(args, message):
    result = runner.invoke(app, ["league", *args])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split()), result.output
