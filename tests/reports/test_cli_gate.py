"""`cnnbench gate`: its usage errors, and a pass/fail round on a synthetic baseline."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from bench.gate import BaselineEntry
from bench.gate_suite import Baseline
from reports.cli import app

runner = CliRunner()


def _baseline(tmp_path, ratio_log=0.0):
    path = tmp_path / "b.json"
    Baseline((BaselineEntry("relu.out", (ratio_log,) * 5),), "test", "t", {}, 7).save(path)
    return path


def test_gate_missing_baseline_exits_2(tmp_path):
    r = runner.invoke(app, ["gate", "check", "--baseline", str(tmp_path / "none.json")])
    assert r.exit_code == 2
    assert "does not exist; create it with `cnnbench gate baseline`" in r.output


def test_gate_bad_inject_exits_2(tmp_path):
    r = runner.invoke(
        app, ["gate", "check", "--baseline", str(_baseline(tmp_path)), "--inject", "relu.out=lots"]
    )
    assert r.exit_code == 2
    assert "`--inject`='relu.out=lots' must be NAME=FRACTION" in r.output


def test_gate_unknown_workload_exits_2(tmp_path):
    r = runner.invoke(
        app, ["gate", "check", "--baseline", str(_baseline(tmp_path)), "--only", "nope"]
    )
    assert r.exit_code == 2
    assert "`--only`='nope' is not in the baseline" in r.output


def _fake_measure(monkeypatch, log_ratio):
    import bench.gate_suite as suite

    values = [log_ratio + 0.01 * (i % 3) for i in range(7)]
    monkeypatch.setattr(suite, "measure_workload", lambda w, extra=0.0, rounds=7: values)


def test_gate_confirmed_regression_exits_1_with_reproduce_command(tmp_path, monkeypatch):
    _fake_measure(monkeypatch, math.log(3.0))  # today relu costs 3x a copy; baseline: 1x
    out = tmp_path / "v.json"
    r = runner.invoke(
        app, ["gate", "check", "--baseline", str(_baseline(tmp_path)), "--json", str(out)]
    )
    assert r.exit_code == 1, r.output
    (v,) = json.loads(out.read_text())
    assert v["status"] == "regression" and v["change"] == pytest.approx(3.0, rel=0.03)
    assert v["confirm_change"] == pytest.approx(3.0, rel=0.03)
    assert "reproduce: cnnbench gate check --only relu.out" in r.output


def test_gate_unchanged_ratio_exits_0(tmp_path, monkeypatch):
    _fake_measure(monkeypatch, 0.0)
    r = runner.invoke(app, ["gate", "check", "--baseline", str(_baseline(tmp_path))])
    assert r.exit_code == 0, r.output
    assert "gate passed" in r.output


def test_asv_site_offline_on_a_folder_without_a_site_exits_2(tmp_path):
    r = runner.invoke(app, ["asv-site", "offline", str(tmp_path)])
    assert r.exit_code == 2
    assert "must hold asv's index.html" in r.output


def test_gate_asv_exit_code_is_the_gates(monkeypatch):
    import bench.asv_gate as asv_gate
    import bench.asv_gate_cli as asv_gate_cli

    class Result:
        exit_code = 1

    monkeypatch.setattr(asv_gate, "run_gate", lambda *a, **k: Result())
    monkeypatch.setattr(asv_gate_cli, "format_result", lambda r, s: "REGRESSION (fake)")
    r = runner.invoke(app, ["gate", "asv", "A", "B", "--factor", "1.5"])
    assert r.exit_code == 1 and "REGRESSION (fake)" in r.output
