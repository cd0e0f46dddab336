"""`--plugin FILE` on any command, and CNNBENCH_PLUGINS, through the real console script
(the option is taken off the command line before typer sees it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CNNBENCH = str(Path(sys.executable).parent / "cnnbench")
PLUGIN = ("CNNBENCH_ACTIVATIONS = {'t_cli_squareplus': '(x + sqrt(x**2 + 4))/2',\n"
          "                        't_cli_clamp': 'Min(Max(x, -2), 2)'}\n")  # fmt: skip


def _run(*args: str, env: dict | None = None, timeout: float = 240) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    full_env.pop("CNNBENCH_PLUGINS", None) if env is None else None
    return subprocess.run([CNNBENCH, *args], capture_output=True, text=True, env=full_env,
                          timeout=timeout)  # fmt: skip


@pytest.fixture(scope="module")
def plugin(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plug") / "myacts.py"
    path.write_text(PLUGIN)
    return path


def test_series_takes_a_plugin_activation(plugin):
    # (x + sqrt(x² + 4))/2 = 1 + x/2 + x²/8 - x⁴/128 + ...: sympy's series written out
    r = _run("series", "t_cli_squareplus", "--plugin", str(plugin), "--order", "4", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["maclaurin"] == ["1", "1/2", "1/8", "0", "-1/128"]


def test_variance_takes_plugins_from_the_environment(plugin):
    r = _run("variance", "-a", "t_cli_clamp", "--depth", "3", "--json",
             env={"CNNBENCH_PLUGINS": str(plugin)})  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["theory"]["activation"] == "t_cli_clamp"


def test_bench_filter_times_a_plugin_activation(plugin, tmp_path):
    out = tmp_path / "b.jsonl"
    r = _run(f"--plugin={plugin}", "bench", "--filter", "t_cli_clamp/.*forward", "--budget",
             "0.05", "--out", str(out), "--quiet")  # fmt: skip
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    timed = [row for row in rows if row.get("type") == "result"]
    assert timed and all("t_cli_clamp" in row["workload"]["key"] for row in timed), rows[-1]


def test_help_names_the_plugin_option():
    r = _run("--help")
    assert r.returncode == 0 and "--plugin MODULE_OR_FILE" in r.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--plugin"], "error: `--plugin` needs a module or a file"),
    (["--plugin", "/no/such/acts.py", "series", "tanh"],
     "`SPEC`='/no/such/acts.py' names a file, but it does not exist"),
    (["--plugin", "no_such_plugin_mod", "series", "tanh"],
     "names a module, but it does not import"),
])  # fmt: skip
def test_bad_plugin_exits_2(args, message):
    r = _run(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr


def test_a_broken_plugin_in_the_environment_warns_and_the_command_runs(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("CNNBENCH_ACTIVATIONS = {'t_cli_bad': 'log(x)'}\n")
    r = _run("series", "tanh", "--order", "1", env={"CNNBENCH_PLUGINS": str(bad)})
    assert r.returncode == 0, r.stderr
    assert "plugins not loaded" in r.stderr and "is undefined at 0" in r.stderr


def test_the_asv_suite_benchmarks_plugged_in_activations(plugin):
    code = ("import json; from cnnbench.bench.benchmarks import common as c; "
            "print(json.dumps([c.ACT_OPS, c.PLUGGED_IN]))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "CNNBENCH_PLUGINS": str(plugin)})  # fmt: skip
    assert r.returncode == 0, r.stderr
    ops, plugged = json.loads(r.stdout)
    assert plugged == ["t_cli_squareplus", "t_cli_clamp"] and set(plugged) <= set(ops)
