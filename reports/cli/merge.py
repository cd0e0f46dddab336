"""``cnnbench merge``: join the results files of shards or of several machines into one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from cnnbench.analysis._validation import ParameterError
from cnnbench.bench.results_io import ResultsFileError, check_output
from cnnbench.reports.cli._app import (
    EXIT_OK,
    app,
    console,
    err_console,
    parameter_error,
    usage_error,
)
from rich.markup import escape

MAX_INPUTS = 1000  # files in one merge: the shards of one CI matrix (--shard allows N <= 1000)


@app.command()
def merge(
    check: Annotated[
        list[Path] | None,
        typer.Option("--check", help="A `cnnbench check --json` file (repeat for each shard)."),
    ] = None,
    bench: Annotated[
        list[Path] | None,
        typer.Option("--bench", help="A `cnnbench bench --out` file (repeat: shards, machines)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="The merged file (its folder is created).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing --out (never done without it).")
    ] = False,
) -> None:
    """Join results files of shards (--shard i/N) or of several machines into one.

    Give either --check files (the union of their claims, in the registry's order;
    a claim with two different verdicts is refused) or --bench files (every run
    of every file, each with its machine and ceilings: `cnnbench report --bench`
    on the result shows the machines side by side). Exit 0 when merged, 2 on bad
    usage or a damaged or conflicting input.
    """
    check, bench = list(check or []), list(bench or [])
    try:
        if bool(check) == bool(bench):
            raise ParameterError("--check", len(check), "or --bench: give files of one kind "
                                 f"(here {len(check)} --check and {len(bench)} --bench)")
        if out is None:
            raise ParameterError("--out", None, "is required: the merged file")
        inputs, option = (check, "--check") if check else (bench, "--bench")
        if len(inputs) > MAX_INPUTS:
            raise ParameterError(option, len(inputs), f"must be at most {MAX_INPUTS} files: "
                                 "the shards of one CI matrix")  # fmt: skip
        for path in inputs:
            if path.exists() and out.exists() and path.resolve() == out.resolve():
                raise ParameterError("--out", str(out), f"is one of the {option} inputs; write "
                                     "the merged file elsewhere")  # fmt: skip
        if out.is_file() and out.stat().st_size and not force:
            raise ParameterError("--out", str(out), "already exists: pass --force to replace "
                                 "it, or give another --out")  # fmt: skip
    except ParameterError as exc:
        raise parameter_error(exc) from None
    from cnnbench.bench import merge as core
    from cnnbench.bench.results_io import write_json_atomic, write_text_atomic

    try:  # every input read and validated before the output's folder is made
        if check:
            from cnnbench.analysis.claims import all_claims

            rows, notes = core.merge_check(check, [c.id for c in all_claims()])
            what = f"{len(rows)} claims from {len(check)} files"
        else:
            records, notes = core.merge_bench(bench)
            runs = sum(r["type"] == "header" for r in records)
            results = sum(r["type"] == "result" for r in records)
            what = f"{results} results of {runs} runs from {len(bench)} files"
    except ResultsFileError as exc:
        raise usage_error(f"`{option}`: {exc}") from None
    try:
        check_output("--out", out, create_parent=True)
    except ParameterError as exc:
        raise parameter_error(exc) from None
    if check:
        write_json_atomic(out, rows)
    else:
        write_text_atomic(out, core.jsonl_text(records))
    for note in notes:
        err_console.print(f"[yellow]note:[/] {escape(note)}")
    console.print(f"merged {what} into {out}")
    raise typer.Exit(EXIT_OK)
