"""``cnnbench check``: run the claims registry and print the verdict table."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Annotated

import typer
from cnnbench.analysis._validation import ParameterError
from cnnbench.analysis.claims import (
    SEVERITIES,
    ClaimResult,
    Verdict,
    all_claims,
    compare_expected,
    select_claims,
)
from cnnbench.bench.results_io import write_json_atomic
from cnnbench.bench.shards import in_shard
from cnnbench.reports.cli import EXIT_INTERRUPTED
from cnnbench.reports.cli._app import (
    EXIT_FAILED,
    EXIT_OK,
    app,
    console,
    err_console,
    parameter_error,
    usage_error,
)
from cnnbench.reports.cli.distribute import (
    SCHEDULER_HELP,
    SHARD_HELP,
    WORKERS_HELP,
    parse_run_options,
    report_missing,
    run_checks,
)
from rich.markup import escape
from rich.table import Table

VERDICT_STYLE = {
    Verdict.CONFIRMED: "green",
    Verdict.REFUTED: "bold red",
    Verdict.INCONCLUSIVE: "yellow",
    Verdict.ERROR: "bold magenta",
}


@app.command()
def check(
    only: Annotated[
        str | None, typer.Option("--only", help="Regular expression on claim id or source.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write every result to this JSON file.")
    ] = None,
    expect: Annotated[
        Path | None,
        typer.Option("--expect", help="Compare verdicts with this file; differences exit 1."),
    ] = None,
    write_expect: Annotated[
        Path | None,
        typer.Option("--write-expect", help="Write this run's verdicts as the expectations."),
    ] = None,
    skip_slow: Annotated[
        bool, typer.Option("--skip-slow", help="Leave out claims marked slow.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the summary.")] = False,
    claims_file: Annotated[
        Path | None,
        typer.Option("--claims", help=(
            "Check the claims of this TOML file (your own paper's) instead of the registry's; "
            "the file is validated whole before any claim runs.")),
    ] = None,
    workers: Annotated[int | None, typer.Option("--workers", help=WORKERS_HELP)] = None,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help=SCHEDULER_HELP)] = None,
    shard: Annotated[str | None, typer.Option("--shard", help=SHARD_HELP)] = None,
) -> None:
    """Check every claim of the source texts; print verdicts grouped by seed and family.

    Exit 0 when every check ran (refuted claims are findings, not failures),
    1 when a check crashed, verdicts differ from --expect or workers were lost
    (the finished claims are kept), 2 on bad usage, 130 on Ctrl-C (likewise).
    """
    if only is not None:
        try:
            re.compile(only)
        except re.error as exc:
            msg = f"`--only`={only!r} is not a valid regular expression: {exc}"
            raise usage_error(msg) from None
    try:
        options = parse_run_options(workers, scheduler, shard)
        if claims_file is not None and options.distributed:
            raise ParameterError("--claims", str(claims_file), "runs in this process only: "
                                 "workers look claims up in their own registry; leave out "
                                 "--workers and --scheduler")  # fmt: skip
    except ParameterError as exc:
        raise parameter_error(exc) from None
    expected = _read_expect(expect) if expect is not None else None
    _check_outputs(json_out, write_expect)
    registered = all_claims() if claims_file is None else _user_claims(claims_file)
    claims = select_claims(registered, only, skip_slow=skip_slow)
    if not claims:
        raise usage_error(f"`--only`={only!r} matches no claim id or source")
    claims = in_shard(claims, options.shard, key=lambda c: c.id)
    if not claims:  # a CI runner whose shard drew nothing: an empty file, not a failure
        console.print(f"shard {options.shard_text} holds none of the selected claims")
        if json_out is not None:
            write_json_atomic(json_out, [])
        raise typer.Exit(EXIT_OK)

    try:
        outcome = run_checks(claims, options)
    except ParameterError as exc:
        raise parameter_error(exc) from None
    results = list(outcome.results)

    if not quiet:
        _print_table(results)
    counts = {v: sum(r.result.verdict is v for r in results) for v in Verdict}
    console.print(
        f"{len(results)} claims: "
        + ", ".join(f"[{VERDICT_STYLE[v]}]{counts[v]} {v.value}[/]" for v in Verdict)
        + f" in {sum(r.seconds for r in results):.1f} s"
    )
    if counts[Verdict.REFUTED]:
        console.print(severity_line(results))
    if json_out is not None:
        write_json_atomic(json_out, [r.to_json() for r in results])
        console.print(f"wrote {json_out}")
    if write_expect is not None:
        _write_expect(write_expect, results, {c.id for c in registered})
        console.print(f"wrote expectations to {write_expect}")

    status = EXIT_FAILED if counts[Verdict.ERROR] or outcome.missing else EXIT_OK
    if outcome.missing:
        report_missing(outcome, f" in {json_out}" if json_out is not None else "")
    for r in results:
        if r.result.verdict is Verdict.ERROR:
            err_console.print(f"[bold magenta]error[/] {r.claim.id}: {escape(r.result.summary)}")
    if expected is not None:
        diffs = compare_expected(results, expected, registered=(c.id for c in registered))
        for d in diffs:
            err_console.print(f"[bold red]verdict changed[/] {escape(d.describe())}")
        if diffs:
            status = EXIT_FAILED
        else:
            console.print(f"verdicts match {expect}")
    raise typer.Exit(EXIT_INTERRUPTED if outcome.interrupted else status)


def _user_claims(path: Path):
    """The claims file's claims; a malformed file exits 2 before anything runs."""
    from cnnbench.analysis.user.claims import load_claims
    from cnnbench.analysis.user.schema import ClaimsFileError

    try:
        return load_claims(path)
    except ClaimsFileError as exc:
        raise usage_error(f"`--claims`: {exc}") from None


def severity_line(results: list[ClaimResult]) -> str:
    """'N distinct errors: a substantive, b slip, c transcription' (same_as counted once)."""
    distinct = [r for r in results if r.result.verdict is Verdict.REFUTED and r.same_as is None]
    per = {s: sum(r.severity == s for r in distinct) for s in (*SEVERITIES, None)}
    parts = [f"{per[s]} {s}" for s in SEVERITIES if per[s]]
    if per[None]:
        parts.append(f"{per[None]} without a severity")
    dup = sum(r.same_as is not None for r in results)
    return (f"refuted: {len(distinct)} distinct errors ({', '.join(parts)})"
            + (f"; {dup} more refute an error already counted" if dup else ""))


def _read_expect(path: Path, option: str = "--expect") -> dict[str, str]:
    """The expectations file, validated (bench.loaders.load_expectations); exit 2 if bad."""
    from cnnbench.bench.loaders import load_expectations
    from cnnbench.bench.results_io import ResultsFileError

    try:
        return load_expectations(path)
    except ResultsFileError as exc:
        raise usage_error(f"`{option}`: {exc}") from None


def _check_outputs(json_out: Path | None, write_expect: Path | None) -> None:
    """Before any claim runs: both output paths writable (folders are created), and an
    existing --write-expect file readable (it is merged into)."""
    from cnnbench.analysis._validation import ParameterError
    from cnnbench.bench.results_io import check_output
    from cnnbench.reports.cli._app import parameter_error

    try:
        for option, path in (("--json", json_out), ("--write-expect", write_expect)):
            if path is not None:
                check_output(option, path, create_parent=True)
    except ParameterError as exc:
        raise parameter_error(exc) from None
    if write_expect is not None and write_expect.exists():
        _read_expect(write_expect, "--write-expect")


def _write_expect(path: Path, results: list[ClaimResult], registered: set[str]) -> None:
    """Merge this run's verdicts into ``path``, dropping ids no longer registered."""
    old = _read_expect(path, "--write-expect") if path.exists() else {}
    new = {k: v for k, v in old.items() if k in registered}
    new.update({r.claim.id: r.result.verdict.value for r in results})
    write_json_atomic(path, dict(sorted(new.items())))


def _print_table(results: list[ClaimResult]) -> None:
    by_seed: dict[str, list[ClaimResult]] = defaultdict(list)
    for r in results:
        by_seed[r.claim.seed].append(r)
    for seed in sorted(by_seed):
        table = Table(title=seed, title_justify="left", show_lines=False, expand=True)
        table.add_column("claim", overflow="fold", ratio=2)
        table.add_column("where", overflow="fold", ratio=1)
        table.add_column("verdict", no_wrap=True)
        table.add_column("method", no_wrap=True)
        table.add_column("evidence", ratio=5)
        family = None
        for r in sorted(by_seed[seed], key=lambda r: r.claim.family):
            if family is not None and r.claim.family != family:
                table.add_section()
            family = r.claim.family
            v = r.result.verdict
            verdict = f"[{VERDICT_STYLE[v]}]{v.value}[/]"
            if r.severity:
                verdict += f"\n({r.severity})"
            summary = escape(r.result.summary)
            if r.same_as:
                summary += f" [dim](the same error as {r.same_as}: counted once)[/]"
            if r.result.caveat:
                summary += f" [dim]Caveat: {escape(r.result.caveat)}[/]"
            table.add_row(r.claim.id, escape(r.claim.locator), verdict, r.result.method, summary)
        console.print(table)
