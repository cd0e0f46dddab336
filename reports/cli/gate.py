"""``cnnbench gate``: CI performance gates that catch real regressions.

``gate check`` is the within-run ratio gate (see :mod:`bench.gate`);
``gate baseline`` re-measures the A/A baseline; ``gate trials`` repeats the
gate to measure its false-alarm and detection rates.
"""

from __future__ import annotations

import json
import math
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from analysis._validation import ParameterError
from bench.gate import Verdict
from bench.gate_suite import (
    BASELINE_PATH,
    DEFAULT_ROUNDS,
    GATE_NAMES,
    Baseline,
    build_baseline,
    run_gate,
)
from bench.machine import cpu_model
from reports.cli._app import (
    EXIT_FAILED,
    EXIT_OK,
    app,
    console,
    err_console,
    usage_error,
)

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


def _load(path: Path) -> Baseline:
    try:
        return Baseline.load(path)
    except FileNotFoundError:
        raise usage_error(
            f"`--baseline`={str(path)!r} does not exist; create it with `cnnbench gate baseline`"
        ) from None


def _check_names(names: list[str] | None, baseline: Baseline) -> list[str]:
    known = [e.name for e in baseline.entries]
    for n in names or []:
        if n not in known:
            raise usage_error(f"`--only`={n!r} is not in the baseline; known: {', '.join(known)}")
    return list(names or known)


def _warn_if_other_cpu(base: Baseline) -> None:
    here, there = cpu_model(), base.machine.get("cpu")
    if there is not None and there != here:
        err_console.print(
            f"[yellow]warning:[/] the baseline was measured on {there!r}, this is {here!r}; "
            "ratios differ between CPUs: re-measure with `cnnbench gate baseline`"
        )


def _table(verdicts: list[Verdict], title: str) -> Table:
    t = Table(title=title, title_justify="left")
    for col in (
        "workload",
        "baseline ratio",
        "now",
        "change",
        "tolerance",
        "p (1-sided)",
        "status",
    ):
        t.add_column(col)
    style = {
        "ok": "green",
        "regression": "bold red",
        "improvement": "cyan",
        "unconfirmed": "yellow",
    }
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
    """Gate same-run ratios against the baseline; exit 1 on a confirmed regression."""
    if update_baseline:
        gate_baseline(out=baseline)
        return
    injected = _parse_inject(inject)
    base = _load(baseline)
    names = _check_names(only, base)
    _warn_if_other_cpu(base)
    verdicts = run_gate(
        base, names, inject=injected, progress=lambda n: err_console.print(f"  measuring {n}")
    )
    console.print(_table(verdicts, f"within-run gate vs {baseline} ({base.created})"))
    if json_out is not None:
        json_out.write_text(json.dumps([v.to_json() for v in verdicts], indent=1) + "\n")
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
    console.print("gate passed: no confirmed regression")
    raise typer.Exit(EXIT_OK)


@gate_app.command("baseline")
def gate_baseline(
    out: Annotated[Path, typer.Option("--out", help="Where to write it.")] = BASELINE_PATH,
    aa_runs: Annotated[int, typer.Option("--aa-runs", min=3, help="A/A runs per workload.")] = 10,
    rounds: Annotated[
        int, typer.Option("--rounds", min=6, help="Paired rounds per run.")
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
    """Measure the baseline ratios and their A/A spread (what tolerances derive from)."""
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
    trials: Annotated[int, typer.Option("--trials", min=1, help="How many gate runs.")] = 10,
    baseline: BaselineOpt = BASELINE_PATH,
    only: OnlyOpt = None,
    inject: InjectOpt = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write all verdicts here.")
    ] = None,
) -> None:
    """Repeat the gate: A/A trials (no --inject) should pass; injected ones should fail."""
    injected = _parse_inject(inject)
    base = _load(baseline)
    names = _check_names(only, base)
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
        json_out.write_text(json.dumps([[v.to_json() for v in r] for r in runs], indent=1) + "\n")


AsvBench = Annotated[str | None, typer.Option("--bench", help="asv -b regex of gated benchmarks.")]
AsvMachine = Annotated[str | None, typer.Option("--machine", help="asv machine name.")]
AsvConfig = Annotated[Path | None, typer.Option("--config", help="asv.conf.json")]


@gate_app.command("asv")
def gate_asv(
    base: str,
    head: str,
    factor: Annotated[
        float | None, typer.Option("--factor", help="Override the factor from the A/A data.")
    ] = None,
    bench: AsvBench = None,
    machine: AsvMachine = None,
    config: AsvConfig = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Commit vs commit over `asv continuous`: exit 0 pass, 1 regression confirmed, 2 broken."""
    from bench.asv_gate import DEFAULT_BENCH, ROOT, load_factor, run_gate
    from bench.asv_gate_cli import format_result

    factor, source = (factor, "--factor") if factor else load_factor()
    try:
        result = run_gate(base, head, factor=factor, bench=bench or DEFAULT_BENCH,
                          machine=machine, config=config or ROOT / "asv.conf.json")  # fmt: skip
    except ParameterError as exc:
        raise usage_error(str(exc)) from None
    if as_json:
        console.print_json(json.dumps(result.to_json()))
    else:
        console.print(format_result(result, source), soft_wrap=True, markup=False)
    raise typer.Exit(result.exit_code)


@gate_app.command("asv-aa")
def gate_asv_aa(
    base: str, head: str, bench: AsvBench = None, machine: AsvMachine = None,
    config: AsvConfig = None,
) -> None:  # fmt: skip
    """Record an A/A pair (two commits with identical timed code) for the asv gate's factor."""
    from bench.asv_gate import DEFAULT_BENCH, ROOT, load_factor
    from bench.asv_gate_cli import record_aa

    try:
        run = record_aa(base, head, bench=bench or DEFAULT_BENCH, machine=machine,
                        config=config or ROOT / "asv.conf.json")  # fmt: skip
    except ParameterError as exc:
        raise usage_error(str(exc)) from None
    factor, source = load_factor()
    console.print(f"recorded {len(run['ratios'])} ratios; gate factor now {factor} ({source})")
