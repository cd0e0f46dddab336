"""`cnnbench series`: table, JSON and its usage errors (exit 2)."""

from __future__ import annotations

import json

from cnnbench.reports.cli import app
from typer.testing import CliRunner

runner = CliRunner()


def test_series_sigmoid_table_shows_exact_coefficients():
    # source: 003_6ff731d493f5c8c8.txt eq. (5.33): the x^3 term is -1/48, radius pi
    result = runner.invoke(app, ["series", "sigmoid", "--order", "5"])
    assert result.exit_code == 0, result.output
    assert "-1/48" in result.output and "1/480" in result.output
    assert "radius of convergence of the series: pi" in result.output
    assert "coefficient of x at 0⁺: 1/4" in result.output


def test_series_piecewise_prints_both_sides():
    # source: 003_6ff731d493f5c8c8.txt eq. (5.2): x above 0, x/a below (a = 100)
    result = runner.invoke(app, ["series", "leaky_relu_xa", "-n", "2"])
    assert result.exit_code == 0, result.output
    assert "at 0⁺" in result.output and "1/100" in result.output
    assert "not analytic at 0" in result.output
    assert "radius of convergence of each branch's series: ∞" in result.output


def test_series_json_round_trips():
    result = runner.invoke(app, ["series", "tanh", "--order", "3", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["maclaurin"] == ["0", "1", "0", "-1/3"]
    assert data["radius"] == "pi/2" and data["slope_at_0_plus"] == "1"


def test_series_unknown_name_lists_valid_names_exit_2():
    result = runner.invoke(app, ["series", "swoosh"])
    assert result.exit_code == 2
    assert "`ACTIVATION`='swoosh' is not a registered activation (did you mean 'swish'?" in \
        " ".join(result.output.split())
    assert "'sigmoid_star'" in result.output
    assert "softmax" not in result.output  # issue 15: it was listed, then refused


def test_series_softmax_is_refused_exit_2():
    result = runner.invoke(app, ["series", "softmax"])
    assert result.exit_code == 2
    assert "is not elementwise" in result.output


def test_series_negative_order_exit_2():
    result = runner.invoke(app, ["series", "tanh", "--order", "-1"])
    assert result.exit_code == 2
    assert "`--order`=-1 must be in [0, 40]" in result.output


def test_series_order_too_large_exit_2():
    result = runner.invoke(app, ["series", "tanh", "--order", "41"])
    assert result.exit_code == 2
    assert "`--order`=41 must be in [0, 40]: sympy's series cost" in result.output


def test_series_non_integer_order_exit_2():
    result = runner.invoke(app, ["series", "tanh", "--order", "two"])
    assert result.exit_code == 2
