"""`cnnbench rf`: table, JSON, networks, torch verification and usage errors (exit 2)."""

from __future__ import annotations

import json

import pytest
from cnnbench.reports.cli import app
from typer.testing import CliRunner

runner = CliRunner()


def test_rf_table_prints_every_layer():
    result = runner.invoke(app, ["rf", "c3s1p1,p2s2,c3s1p1"])
    assert result.exit_code == 0, result.output
    assert "receptive field 8, effective stride 2, effective padding 3" in result.output


def test_rf_json_rows():
    result = runner.invoke(app, ["rf", "c3s1p1,p2s2,c3s1p1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [r["rf"] for r in data["layers"]] == [3, 4, 8]
    assert [r["jump"] for r in data["layers"]] == [1, 2, 2]
    assert [r["start"] for r in data["layers"]] == [0.0, 0.5, 0.5]  # bit-exact: halves


def test_rf_network_with_torch_verification():
    # source: paper, Araujo et al. 2019 (vgg_16 pool5: 212)
    result = runner.invoke(app, ["rf", "--network", "vgg16", "--verify", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["rf"] == data["torch"]["rf"] == 212


def test_rf_verify_table_says_agrees():
    result = runner.invoke(app, ["rf", "c5s2,p3s2", "--verify"])
    assert result.exit_code == 0, result.output
    assert "(agrees)" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rf", "c3,x2"], "token 2 'x2' (character 4)"),
        (["rf", "c3s0"], "`stride`=0 must be a positive integer"),
        (["rf", "--network", "resnet"], "`--network`='resnet' must be one of"),
        (["rf"], "give a layer list (e.g. 'c3s1p1,p2s2') or --network NAME"),
        (["rf", "c3", "--network", "vgg16"], "give a layer list or --network, not both"),
        (["rf", ",".join(["c3"] * 257)], "`LAYERS`=257 must be in [1, 256]: 257 layers given"),
        (["rf", ",".join(["c3s8"] * 9), "--verify"], "`--verify` cannot measure this stack"),
    ],
)
def test_rf_usage_errors_exit_2(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_rf_help_keeps_the_bracketed_window():
    # rich reads [...] as markup; the help must show the window's brackets
    result = runner.invoke(app, ["rf", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "unit j's window is [j*jump - P, j*jump - P + rf - 1]" in result.output
