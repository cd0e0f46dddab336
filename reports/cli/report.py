"""``cnnbench report``: one self-contained HTML page from the results files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from reports.cli._app import app, console, err_console
from reports.render import load_check_rows, render_html
from reports.sections import ReportInputs, build_sections

DEFAULT_OUT = Path("reports/out")


@app.command()
def report(
    check_json: Annotated[
        Path, typer.Option("--check", help="JSON from `cnnbench check --json`.")
    ] = DEFAULT_OUT / "check.json",
    bench_jsonl: Annotated[
        Path, typer.Option("--bench", help="JSON Lines from `cnnbench bench --out`.")
    ] = DEFAULT_OUT / "bench.jsonl",
    train_json: Annotated[
        Path, typer.Option("--train", help="JSON from `cnnbench train --json`.")
    ] = DEFAULT_OUT / "train.json",
    asv_dir: Annotated[
        Path, typer.Option("--asv-results", help="asv results folder (history section).")
    ] = Path(".asv/results"),
    out: Annotated[Path, typer.Option("--out", help="Where to write the HTML.")] = DEFAULT_OUT
    / "report.html",
) -> None:
    """Render the HTML report; sections whose results are missing say which command makes them."""
    inputs = ReportInputs(check_json, bench_jsonl, train_json, asv_dir)
    sections = build_sections(inputs, progress=lambda name: err_console.print(f"  {name}"))
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    html = render_html(load_check_rows(check_json), sections, generated=generated)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html)
    missing = [m for s in sections for m in s.missing]
    console.print(
        f"report: {out.resolve()} ({len(html) / 1e6:.1f} MB, {len(sections) + 1} sections)"
    )
    for m in missing:
        console.print(f"[yellow]missing:[/] {m}")
