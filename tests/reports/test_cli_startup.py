"""Start-up: `cnnbench --help` without torch and fast; Ctrl-C at any moment exits 130.

issue 15: every command, `--help` included, took ~5 s to start (torch imported
eagerly), and Ctrl-C during start-up printed a traceback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cnnbench.reports.cli import COMMANDS
from typer.testing import CliRunner

runner = CliRunner()
HEAVY = ("torch", "scipy", "sympy", "pandas", "matplotlib", "numpy")
# Generous for a loaded 2-core CI machine; the figure measured is printed (pytest -s) and
# in the README: about 0.3 s.
HELP_LIMIT_S = 3.0


def _python(code: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "COLUMNS": "200"})  # fmt: skip


def _heavy_after(statements: str) -> list[str]:
    done = _python(f"import sys\n{statements}\n"
                   f"print('HEAVY:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))")
    assert done.returncode == 0, done.stderr
    line = [x for x in done.stdout.splitlines() if x.startswith("HEAVY:")][-1]
    return [m for m in line.removeprefix("HEAVY:").split(",") if m]


def test_importing_the_cli_imports_no_heavy_library():
    assert _heavy_after("import cnnbench.reports.cli\nfrom cnnbench.reports.cli import app") == []


def test_help_of_every_command_imports_no_torch():
    code = ("from typer.testing import CliRunner\nfrom cnnbench.reports.cli import COMMANDS, app\n"
            "r = CliRunner()\nfor name in [None, *COMMANDS]:\n"
            "    res = r.invoke(app, ([name] if name else []) + ['--help'])\n"
            "    assert res.exit_code == 0, (name, res.output)")  # fmt: skip
    assert "torch" not in _heavy_after(code)


@pytest.mark.parametrize(
    "args",
    [["shape", "conv", "--size", "5", "--kernel", "3"], ["maxdepth", "--image", "60", "--t", "0.5"],
     ["rf", "c3s1p1,p2s2"], ["asv-site", "--help"]],
    ids=lambda a: a[0],
)
def test_commands_that_need_no_torch_do_not_import_it(args):
    code = (f"from typer.testing import CliRunner\nfrom cnnbench.reports.cli import app\n"
            f"res = CliRunner().invoke(app, {args!r})\nassert res.exit_code == 0, res.output")
    assert "torch" not in _heavy_after(code)


def test_help_answers_quickly_and_lists_every_command():
    start = time.perf_counter()
    done = _python("import sys\nsys.argv = ['cnnbench', '--help']\n"
                   "from cnnbench.reports.cli import main\nmain()")  # fmt: skip
    seconds = time.perf_counter() - start
    print(f"cnnbench --help: {seconds:.2f} s")
    assert done.returncode == 0, done.stderr
    assert all(name in done.stdout for name in COMMANDS)
    assert seconds < HELP_LIMIT_S


def _first_paragraph(text: str) -> str:
    return " ".join(text.strip().split("\n\n")[0].split())


@pytest.mark.parametrize("name", list(COMMANDS))
def test_help_table_matches_each_commands_docstring(name):
    from cnnbench.reports.cli._app import load_command

    cmd = load_command(name)
    assert _first_paragraph(COMMANDS[name][1]) == _first_paragraph(cmd.help or "")


def test_help_constants_match_their_sources():
    from cnnbench.analysis.maxdepth.problem import CONSTRAINTS
    from cnnbench.analysis.variance.init_schemes import INIT_SCHEMES
    from cnnbench.bench import gate_suite, workloads
    from cnnbench.bench.gate_spec import BASELINES_DIR, DEFAULT_ROUNDS, GATE_NAMES
    from cnnbench.bench.profiles import PROFILE_ENV
    from cnnbench.reports.cli import maxdepth, variance

    assert variance.INIT_SCHEMES == tuple(INIT_SCHEMES)
    assert maxdepth.CONSTRAINTS == CONSTRAINTS
    assert PROFILE_ENV == workloads.PROFILE_ENV
    assert GATE_NAMES == tuple(w.name for w in gate_suite.GATE_WORKLOADS)
    assert (BASELINES_DIR, DEFAULT_ROUNDS) == (gate_suite.BASELINES_DIR, gate_suite.DEFAULT_ROUNDS)


def test_unknown_command_suggests_the_close_one():
    res = runner.invoke(__import__("cnnbench.reports.cli", fromlist=["app"]).app, ["shpe"])
    assert res.exit_code == 2 and "Did you mean 'shape'?" in res.output


def _cnnbench() -> Path:
    return Path(sys.executable).with_name("cnnbench")


def _sigint_as_a_terminal_gives_it() -> None:
    """In the child before exec: SIGINT handled by default and not blocked, as an
    interactive shell starts a command. A child inherits an ignored or blocked SIGINT
    from whatever started pytest (a background job of a non-interactive shell ignores
    it), and then no Ctrl-C reaches cnnbench: one CI run read exit 0 here that way."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])


@pytest.mark.parametrize("after_s", [0.3, 2.0], ids=["during-imports", "inside-the-command"])
def test_ctrl_c_at_start_up_exits_130_without_a_traceback(after_s):
    # train imports torch and sklearn (seconds) before it starts training
    proc = subprocess.Popen([str(_cnnbench()), "train", "--activations", "relu", "--seeds", "1",
                             "--epochs", "200", "--depth", "2"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=_sigint_as_a_terminal_gives_it)  # fmt: skip
    time.sleep(after_s)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in out + err
