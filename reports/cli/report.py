"""``cnnbench report``: one self-contained HTML page from the results files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from bench.asv_archive import ARCHIVE
from reports.cli._app import EXIT_FAILED, app, console, err_console, usage_error
from reports.render import expectation_diffs, load_check_rows, render_html
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
    expect: Annotated[
        Path | None,
        typer.Option("--expect", help="Committed expectations; verdicts that differ get a note "
                     "at the top of the page (and on the console)."),
    ] = Path("tests/expected_verdicts.json"),
    archive_dir: Annotated[
        Path,
        typer.Option("--asv-history", help="The committed asv history (bench/asv_history)."),
    ] = ARCHIVE,
    out: Annotated[Path, typer.Option("--out", help="Where to write the HTML.")] = DEFAULT_OUT
    / "report.html",
    screenshot: Annotated[
        Path | None,
        typer.Option(
            "--screenshot",
            help="Open the page in headless Chromium, check it (console errors, images, "
            "verdict filter) and save a full-page screenshot here; exit 1 if it is broken.",
        ),
    ] = None,
) -> None:
    """Render the HTML report; sections whose results are missing say which command makes them."""
    inputs = ReportInputs(
        check_json, bench_jsonl, train_json, asv_dir, asv_archive=archive_dir, report_dir=out.parent
    )
    sections = build_sections(inputs, progress=lambda name: err_console.print(f"  {name}"))
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = load_check_rows(check_json)
    diffs = expectation_diffs(rows, _read_expectations(expect))
    html = render_html(rows, sections, generated=generated, diffs=diffs)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html)
    missing = [m for s in sections for m in s.missing]
    console.print(
        f"report: {out.resolve()} ({len(html) / 1e6:.1f} MB, {len(sections) + 1} sections)"
    )
    for m in missing:
        console.print(f"[yellow]missing:[/] {m}")
    for d in diffs:
        err_console.print(f"[bold yellow]verdict differs from {expect}:[/] {d.id}: expected "
                          f"{d.expected or '(not in the expectations)'}, got {d.got}")  # fmt: skip
    if screenshot is not None:
        _browser_check(out, screenshot)


def _read_expectations(path: Path | None) -> dict[str, str] | None:
    """The expectations file, or None when it is absent (a user's own checkout may lack it)."""
    if path is None or not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise usage_error(f"`--expect`={str(path)!r} is not a readable JSON file: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise usage_error(f"`--expect`={str(path)!r} must map claim ids to verdicts")
    return data


def _browser_check(page: Path, screenshot: Path) -> None:
    from reports.browser import inspect_page

    try:
        seen = inspect_page(page.resolve().as_uri(), screenshot=screenshot)
    except FileNotFoundError as exc:
        raise usage_error(f"`--screenshot`: {exc}") from None
    state = {True: "works", False: "BROKEN", None: "n/a"}[seen.filter_works]
    console.print(
        f"browser: {seen.images} images ({len(seen.broken_images)} broken), "
        f"{len(seen.console_errors)} console errors, {seen.verdict_rows} verdict rows, "
        f"filter {state}, "
        f"sections: {', '.join(seen.sections)}"
    )
    console.print(f"screenshot: {screenshot.resolve()}")
    for e in (*seen.console_errors, *seen.failed_requests, *seen.broken_images):
        err_console.print(f"[red]browser problem:[/] {e}")
    if not seen.ok:
        raise typer.Exit(EXIT_FAILED)
