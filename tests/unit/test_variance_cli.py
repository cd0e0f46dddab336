"""`cnnbench variance` and `cnnbench train`: tables, JSON, exit codes, usage errors."""

from __future__ import annotations

import json

import pytest
from cnnbench.reports.cli import app
from typer.testing import CliRunner

runner = CliRunner()
# Gauss-Hermite sums differ in the last bits between SIMD code paths (AVX2 vs AVX-512).
QUADRATURE_REL_TOL = 1e-12


def test_variance_theory_table_relu_kaiming():
    # source: He et al. 2015: ReLU + Kaiming keeps q = 2·E[x²] at every layer
    result = runner.invoke(app, ["variance", "-a", "relu", "-i", "kaiming_fan_in", "-L", "4",
                                 "-W", "64"], env={"COLUMNS": "160"})  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "relu + kaiming_fan_in, mlp width 64, depth 4" in result.output
    assert "marginal" in result.output and "fan_in·Var[w] = 2" in result.output


def test_variance_json_sigmoid_fixed_point():
    # source: 003 §5.5.2 (sigmoid under Xavier settles at q* ≈ 0.265, χ ≈ 0.0557)
    result = runner.invoke(app, ["variance", "-a", "sigmoid", "-L", "3", "-W", "32", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert abs(data["fixed_point"]["q"] - 0.2647) < 1e-3
    means = [r["post_mean"] for r in data["theory"]["layers"]]
    assert means == pytest.approx([0.5] * 3, rel=QUADRATURE_REL_TOL)


def test_variance_mc_agrees_and_reports_tolerance():
    # source: 003 eq. (5.30) (exact in expectation for ReLU); oracle: torch networks
    result = runner.invoke(app, ["variance", "-a", "relu", "-i", "xavier_normal", "-L", "3",
                                 "-W", "128", "--mc", "--draws", "16", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["agrees"] is True and len(data["layers"]) == 3


def test_variance_bad_init_is_a_usage_error():
    result = runner.invoke(app, ["variance", "-a", "relu", "-i", "he"])
    assert result.exit_code == 2
    assert "`--init`='he' must be one of" in result.output


def test_variance_bad_activation_is_a_usage_error():
    result = runner.invoke(app, ["variance", "-a", "softmax"])
    assert result.exit_code == 2
    assert "`--activation`='softmax' must be an elementwise activation" in result.output


def test_variance_too_few_draws_is_a_usage_error():
    result = runner.invoke(app, ["variance", "-a", "tanh", "-L", "2", "--mc", "--draws", "2"])
    assert result.exit_code == 2
    assert "`--draws`=2 must be an integer >= 12" in result.output


def test_train_smoke_writes_curves(tmp_path):
    # source: issue 3 §4 (curves with confidence intervals, for the HTML report)
    out = tmp_path / "train.json"
    result = runner.invoke(app, ["train", "--activations", "tanh,sigmoid", "--seeds", "2",
                                 "--epochs", "1", "--depth", "2", "--json", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert set(data["curves"]) == {"tanh", "sigmoid"}
    assert len(data["curves"]["tanh"]["test_acc"]) == 1 and len(data["runs"]) == 4
    assert data["command"].startswith("cnnbench train --setting deep")


def test_train_bad_activation_is_a_usage_error():
    result = runner.invoke(app, ["train", "--activations", "softmax", "--epochs", "1"])
    assert result.exit_code == 2
    assert "`--activations`='softmax' must name elementwise" in result.output


def test_train_bad_setting_is_a_usage_error():
    result = runner.invoke(app, ["train", "--setting", "cifar"])
    assert result.exit_code == 2
    assert "`--setting`='cifar' must be one of 'deep', 'regularized_relu_000'" in result.output


def test_variance_gains_table_json():
    # source: torch.nn.init.calculate_gain docs (relu √2, tanh 5/3); He et al. 2015
    result = runner.invoke(app, ["variance", "--gains", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["activation"]: r for r in json.loads(result.output)}
    assert abs(rows["relu"]["forward"] - 2**0.5) < 1e-9
    assert rows["tanh"]["torch_gain"] == 5 / 3 and rows["gelu"]["torch_gain"] is None


def test_variance_without_activation_is_a_usage_error():
    result = runner.invoke(app, ["variance", "-L", "3"])
    assert result.exit_code == 2
    assert "`--activation` is required (or use --gains)" in result.output


def test_variance_takes_an_expression_and_names_a_bad_one():
    ok = runner.invoke(app, ["variance", "-a", "Max(0, x)*2", "--depth", "2", "--json"])
    assert ok.exit_code == 0, ok.output
    # 2·relu at Xavier (σ_w² = 1): q_{l+1} = 4·q_l/2 = 2·q_l, so layer 2 has q = 2
    assert json.loads(ok.output)["theory"]["layers"][1]["q"] == pytest.approx(2.0)
    bad = runner.invoke(app, ["variance", "-a", "log(x)"])
    assert bad.exit_code == 2 and "`--activation`='log(x)' is undefined at 0" in bad.output
