"""`cnnbench maxdepth`: LP and integer optima, the JSON program, usage errors (exit 2)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from cnnbench.reports.cli import app
from scipy.optimize import Bounds, LinearConstraint, milp
from typer.testing import CliRunner

runner = CliRunner()


def test_maxdepth_lp_table():
    # source: 003_6ff731d493f5c8c8.txt §4.3; z = 96 = 2^4*3/0.5 (m = 5)
    result = runner.invoke(app, ["maxdepth", "--image", "96", "--kernel", "3", "--t", "0.5",
                                 "--constraints", "derived"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "optimal total depth 7.5 at n = 5" in result.output
    assert "the optimum is unique" in result.output


def test_maxdepth_integer_json_rederived_with_milp():
    # source: 003_6ff731d493f5c8c8.txt §4.3 eqs. (4.2)-(4.4) as printed, integer a_i >= 1
    result = runner.invoke(app, ["maxdepth", "--image", "96", "--t", "0.5", "--integer", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    got = (data["total_depth"], data["n"], data["a"])
    assert got == (15, 4, [6.0, 3.0, 3.0, 3.0])  # bit-exact: MILP integers
    p = data["program"]
    res = milp(p["c"], constraints=LinearConstraint(np.array(p["A_ub"]), -np.inf, p["b_ub"]),
               integrality=np.ones(p["n"]), bounds=Bounds(1, np.inf))  # fmt: skip
    assert -res.fun == data["total_depth"]


def test_maxdepth_infeasible_exits_0():
    result = runner.invoke(app, ["maxdepth", "--image", "64", "--t", "2", "--integer",
                                 "--constraints", "derived"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "no n admits a network" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--image", "0", "--t", "0.5"], "`--image`=0 must be a finite real number in [1, inf)"),
        (["--image", "64", "--t", "0.5", "--kernel", "1"], "`--kernel`=1 must be an integer >= 2"),
        (["--image", "64", "--t", "-1"], "`--t`=-1.0 must be a finite real number in (0, inf)"),
        (["--image", "64", "--t", "0.5", "--constraints", "paper"], "`--constraints`='paper'"),
        (["--image", "64", "--t", "0.5", "--pool-kernel", "0"], "`--pool-kernel`=0 must be"),
        (["--image", "64", "--t", "1e-320"], "`--t`=1e-320 must be at least 1e-250"),
        (["--image", "64"], "Missing option '--t'"),
    ],
)
def test_maxdepth_usage_errors_exit_2(args, message):
    result = runner.invoke(app, ["maxdepth", *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
