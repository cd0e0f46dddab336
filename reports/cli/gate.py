"""``cnnbench gate``: CI performance gates that catch real regressions.

``gate check`` is the within-run ratio gate (see :mod:`cnnbench.bench.gate`);
``gate baseline`` re-measures the A/A baseline; ``gate trials`` repeats the
gate to measure its false-alarm and detection rates.

The gate fails closed: a missing, empty, corrupt or meaningless baseline (no
entries, non-finite medians, a tolerance below 1) is exit 2 with the file and
key named, before anything is measured, never "passed"; exit 1 means only "a
regression was confirmed". ``.ci/run`` runs under ``set -e``, so both fail CI.
"""

from __future__ import annotations

import math
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from cnnbench.analysis._validation import ParameterError
from cnnbench.bench.gate_spec import BASELINE_PATH, DEFAULT_ROUNDS, GATE_NAMES
from cnnbench.bench.loaders_bench import load_gate_baseline
from cnnbench.bench.results_io import ResultsFileError, check_output, write_json_atomic
from cnnbench.reports.cli._app import (
    EXIT_FAILED,
    EXIT_OK,
    app,
    console,
    err_console,
    parameter_error,
    usage_error,
    within,
)
from rich.table import Table

MAX_AA_RUNS = 100  # each A/A run measures every workload (~2 s each on a 2-core VM)
MAX_ROUNDS = 1001  # paired rounds per run; the signed-rank test is decided long before
MAX_TRIALS = 1000  # each trial is a whole gate run (tens of seconds)

gate_app = typer.Typer(
    help="Performance gates (within-run ratios; asv commit-vs-commit).", no_args_is_help=True
)
app.add_typer(gate_app, name="gate")

BaselineOpt = Annotated[Path, typer.Option("--baseline", help="Baseline JSON.")]
InjectOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--inject",
        help="NAME=FRACTION: slow NAME by an extra pass over FRACTION "
        "of its tensor (0.5 is about 1.5x), to test the gate.",
    ),
]
OnlyOpt = Annotated[list[str] | None, typer.Option("--only", help="Gate only this workload.")]


def _parse_inject(items: list[str] | None) -> dict[str, float]:
    out = {}
    for item in items or []:
        name, sep, frac = item.partition("=")
        try:
            value = float(frac)
        except ValueError:
            value = -1.0
        if not sep or name not in GATE_NAMES or not 0 < value <= 4:
            raise usage_error(
                f"`--inject`={item!r} must be NAME=FRACTION with FRACTION in (0, 4] and NAME one "
                f"of {', '.join(GATE_NAMES)}"
            )
        out[name] = value
    return out


def _load(path: Path) -> dict:
    """The validated baseline JSON; anything missing or damaged is exit 2 (fails closed)."""
    try:
        return load_gate_baseline(path, known=GATE_NAMES)
    except ResultsFileError as exc:
        if exc.problem == "does not exist":
            raise usage_error(f"`--baseline`={str(path)!r} does not exist; create it with "
                              "`cnnbench gate baseline`") from None  # fmt: skip
        raise usage_error(f"`--baseline`: {exc}; re-measure it with `cnnbench gate baseline` "
                          "(the gate never passes on a damaged baseline)") from None


def _check_names(names: list[str] | None, baseline: dict) -> list[str]:
    known = [e["name"] for e in baseline["entries"]]
    for n in names or []:
        if n not in known:
            raise usage_error(f"`--only`={n!r} is not in the baseline; known: {', '.join(known)}")
    return list(dict.fromkeys(names or known))


def _output(option: str, path: Path | None) -> None:
    if path is not None:
        try:
            check_output(option, path, create_parent=True)
        except ParameterError as exc:
            raise parameter_error(exc) from None


def _warn_if_other_cpu(base) -> None:
    from cnnbench.bench.machine import cpu_model

    here, there = cpu_model(), base.machine.get("cpu")
    if there is not None and there != here:
        err_console.print(
            f"[yellow]warning:[/] the baseline was measured on {there!r}, this is {here!r}; "
            "ratios differ between CPUs: re-measure with `cnnbench gate baseline`"
        )


def _table(verdicts: list, title: str) -> Table:
    t = Table(title=title, title_justify="left")
    for col in ("workload", "baseline ratio", "now", "change", "tolerance", "p (1-sided)",
                "status"):  # fmt: skip
        t.add_column(col)
    style = {"ok": "green", "regression": "bold red", "improvement": "cyan",
             "unconfirmed": "yellow"}  # fmt: skip
    for v in verdicts:
        change = f"{v.change:.3f}x" + (
            f" (re-run {v.confirm_change:.3f}x)" if v.confirm_change is not None else ""
        )
        t.add_row(
            v.name,
            f"{v.baseline_ratio:.3f}",
            f"{v.current_ratio:.3f}",
            change,
            f"±{v.tolerance_factor:.3f}x",
            f"{v.p_value:.2g}",
            f"[{style[v.status]}]{v.status}[/]",
        )
    return t


@gate_app.command("check")
def gate_check(
    baseline: BaselineOpt = BASELINE_PATH,
    only: OnlyOpt = None,
    inject: InjectOpt = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write verdicts here.")] = None,
    update_baseline: Annotated[
        bool,
        typer.Option(
            "--update-baseline",
            help="Accept the current state: re-measure "
            "the A/A baseline and write it instead of gating.",
        ),
    ] = False,
) -> None:
    """Gate same-run ratios against the baseline; exit 1 on a confirmed regression.

    Exit 0 when no regression is confirmed, 1 when one is, 2 when the baseline is
    missing, damaged or meaningless (checked before anything is measured) or the
    usage is bad. --json writes the verdicts (its folder is created if missing).
    """
    if update_baseline:
        gate_baseline(out=baseline)
        return
    injected = _parse_inject(inject)
    _output("--json", json_out)
    data = _load(baseline)
    names = _check_names(only, data)
    from cnnbench.bench.gate_suite import Baseline, run_gate

    base = Baseline.from_json(data)
    _warn_if_other_cpu(base)
    verdicts = run_gate(
        base, names, inject=injected, progress=lambda n: err_console.print(f"  measuring {n}")
    )
    console.print(_table(verdicts, f"within-run gate vs {baseline} ({base.created})"))
    if json_out is not None:
        write_json_atomic(json_out, [v.to_json() for v in verdicts])
    bad = [v for v in verdicts if v.status == "regression"]
    if bad:
        for v in bad:
            console.print(
                f"[bold red]regression[/] {v.name}: {v.change:.2f}x its baseline ratio "
                f"(re-run {v.confirm_change:.2f}x, p={v.p_value:.2g}); reproduce: "
                f"cnnbench gate check --only {v.name}",
                soft_wrap=True,
            )
        console.print("intended? accept it with `cnnbench gate check --update-baseline`")
        raise typer.Exit(EXIT_FAILED)
    console.print(f"gate passed: no confirmed regression in {len(verdicts)} workloads")
    raise typer.Exit(EXIT_OK)


@gate_app.command("baseline")
def gate_baseline(
    out: Annotated[Path, typer.Option("--out", help="Where to write it.")] = BASELINE_PATH,
    aa_runs: Annotated[int, typer.Option("--aa-runs", help="A/A runs per workload (3-100).")] = 10,
    rounds: Annotated[
        int, typer.Option("--rounds", help="Paired rounds per run (6-1001).")
    ] = DEFAULT_ROUNDS,
    neighbour: Annotated[
        bool,
        typer.Option(
            "--neighbour/--no-neighbour",
            help="Every other A/A run beside a memory-hungry neighbour process, so the "
            "tolerances cover a busy machine.",
        ),
    ] = True,
) -> None:
    """Measure the baseline ratios and their A/A spread (what tolerances derive from).

    The file is written atomically (a temporary file, then a rename); its folder is
    created if missing.
    """
    try:
        within("--aa-runs", aa_runs, 3, MAX_AA_RUNS, "each A/A run measures every workload "
               "(about 2 s each on a 2-core VM); 10 give a stable spread")  # fmt: skip
        within("--rounds", rounds, 6, MAX_ROUNDS, "paired rounds per run; the signed-rank "
               "test needs 6 and is decided long before 1001")  # fmt: skip
        check_output("--out", out, create_parent=True)
    except ParameterError as exc:
        raise parameter_error(exc) from None
    from cnnbench.bench.gate_suite import build_baseline

    command = (
        "cnnbench gate baseline " + shlex.join(sys.argv[3:])
        if len(sys.argv) > 3
        else ("cnnbench gate baseline")
    )
    base = build_baseline(
        aa_runs=aa_runs,
        rounds=rounds,
        command=command,
        neighbour=neighbour,
        progress=lambda s: err_console.print(f"  {s}"),
    )
    base.save(out)
    t = Table(title=f"baseline written to {out}", title_justify="left")
    for col in ("workload", "ratio", "A/A spread (log)", "tolerance"):
        t.add_column(col)
    for e in base.entries:
        t.add_row(
            e.name,
            f"{math.exp(e.center):.3f}",
            f"{e.aa_spread:.4f}",
            f"±{math.exp(e.tolerance):.3f}x",
        )
    console.print(t)


@gate_app.command("trials")
def gate_trials(
    trials: Annotated[int, typer.Option("--trials", help="How many gate runs (1-1000).")] = 10,
    baseline: BaselineOpt = BASELINE_PATH,
    only: OnlyOpt = None,
    inject: InjectOpt = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write all verdicts here.")
    ] = None,
) -> None:
    """Repeat the gate: A/A trials (no --inject) should pass; injected ones should fail."""
    injected = _parse_inject(inject)
    try:
        within("--trials", trials, 1, MAX_TRIALS, "each trial is a whole gate run (tens of "
               "seconds on a 2-core VM)")  # fmt: skip
    except ParameterError as exc:
        raise parameter_error(exc) from None
    _output("--json", json_out)
    data = _load(baseline)
    names = _check_names(only, data)
    from cnnbench.bench.gate_suite import Baseline, run_gate

    base = Baseline.from_json(data)
    runs = []
    for i in range(trials):
        err_console.print(f"trial {i + 1}/{trials}")
        runs.append(run_gate(base, names, inject=injected))
    failed = sum(any(v.status == "regression" for v in r) for r in runs)
    t = Table(title=f"{trials} trials, inject={injected or 'none (A/A)'}", title_justify="left")
    for col in ("workload", "median change", "min change", "max change", "flagged+confirmed"):
        t.add_column(col)
    for j, name in enumerate(names):
        ch = sorted(r[j].change for r in runs)
        t.add_row(
            name,
            f"{ch[len(ch) // 2]:.3f}x",
            f"{ch[0]:.3f}x",
            f"{ch[-1]:.3f}x",
            f"{sum(r[j].status == 'regression' for r in runs)}/{trials}",
        )
    console.print(t)
    console.print(f"gate failed in {failed}/{trials} trials")
    if json_out is not None:
        write_json_atomic(json_out, [[v.to_json() for v in r] for r in runs])


# the commit-vs-commit gate (`gate asv`, `gate asv-aa`) registers on gate_app
import cnnbench.reports.cli.gate_asv  # noqa: E402, F401
