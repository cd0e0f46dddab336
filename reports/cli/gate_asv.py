"""``cnnbench gate asv`` and ``gate asv-aa``: the commit-vs-commit gate over ``asv continuous``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from cnnbench.analysis._validation import ParameterError, as_real
from cnnbench.reports.cli._app import console, parameter_error, usage_error
from cnnbench.reports.cli.gate import gate_app

MAX_FACTOR = 10.0  # head/base time ratio counted as a regression; above 10 it gates nothing


def asv_config(path: Path) -> Path:
    """``--config``, checked with asv's own loader before asv runs (exit 2 when bad)."""
    from cnnbench.bench.asv_site import SiteError, load_config

    try:
        load_config(path)
    except SiteError as exc:
        raise usage_error(f"`--config`: {exc}") from None
    return path


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
    from cnnbench.bench.asv_gate import DEFAULT_BENCH, ROOT, load_factor, run_gate
    from cnnbench.bench.asv_gate_cli import format_result

    try:
        config = asv_config(config or ROOT / "asv.conf.json")
        if factor is not None:
            as_real("--factor", factor, lower=1.0, upper=MAX_FACTOR, lower_open=True)
        factor, source = (factor, "--factor") if factor is not None else load_factor()
        result = run_gate(base, head, factor=factor, bench=bench or DEFAULT_BENCH,
                          machine=machine, config=config)  # fmt: skip
    except ParameterError as exc:
        raise parameter_error(exc) from None
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
    from cnnbench.bench.asv_gate import DEFAULT_BENCH, ROOT, load_factor
    from cnnbench.bench.asv_gate_cli import record_aa

    try:
        run = record_aa(base, head, bench=bench or DEFAULT_BENCH, machine=machine,
                        config=asv_config(config or ROOT / "asv.conf.json"))  # fmt: skip
    except ParameterError as exc:
        raise parameter_error(exc) from None
    factor, source = load_factor()
    console.print(f"recorded {len(run['ratios'])} ratios; gate factor now {factor} ({source})")
