"""``cnnbench report``: one self-contained HTML page from the results files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from cnnbench.analysis._validation import ParameterError
from cnnbench.bench.asv_archive import ARCHIVE
from cnnbench.bench.results_io import ResultsFileError, check_output
from cnnbench.reports.cli._app import (
    EXIT_FAILED,
    app,
    console,
    err_console,
    parameter_error,
    usage_error,
)

DEFAULT_OUT = Path("reports/out")  # the default results folder (cnnbench.bench.sweep.DEFAULT_OUT's)


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
    league_json: Annotated[
        Path, typer.Option("--league", help="JSON from `cnnbench league --json`.")
    ] = DEFAULT_OUT / "league.json",
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
    user_check: Annotated[Path, typer.Option("--user-check", help=(
        "JSON from `cnnbench check --claims FILE --json` (the 'Your claims' section)."))
    ] = DEFAULT_OUT / "user-claims.json",
    networks: Annotated[Path, typer.Option("--networks", help=(
        "Folder of `cnnbench network --out` profiles (the 'Your networks' section)."))
    ] = DEFAULT_OUT / "networks",
    out: Annotated[Path, typer.Option("--out", help="Where to write the HTML (its folder is "
                                      "created if missing).")] = DEFAULT_OUT / "report.html",
    screenshot: Annotated[
        Path | None,
        typer.Option(
            "--screenshot",
            help="Open the page in headless Chromium, check it (console errors, images, "
            "verdict filter) and save a full-page screenshot here; exit 1 if it is broken.",
        ),
    ] = None,
) -> None:
    """Render the HTML report; sections whose results are missing say which command makes them.

    Every file given is read and validated before anything is drawn: a missing one
    is named on the page, a damaged one (or an output path that cannot be written)
    is exit 2 naming the option. Exit 1 when the browser check finds the page broken.
    """
    # inputs first (reading has no side effects), then the outputs (their folders may be made)
    expected = _validate_inputs(check_json, bench_jsonl, train_json, expect, asv_dir, archive_dir)
    _validate_user_inputs(user_check, networks)
    if league_json.exists():
        from cnnbench.reports.league_section import load_league

        try:
            load_league(league_json)
        except ResultsFileError as exc:
            raise usage_error(f"`--league`: {exc}") from None
    inputs_given = {"--check": check_json, "--bench": bench_jsonl, "--train": train_json,
                    "--league": league_json}
    try:
        for option, path in (("--out", out), ("--screenshot", screenshot)):
            if path is None:
                continue
            check_output(option, path, create_parent=True)
            for name, given in inputs_given.items():
                if given.exists() and path.resolve() == given.resolve():
                    raise ParameterError(option, str(path), f"is the {name} input; write the "
                                         "report elsewhere")  # fmt: skip
    except ParameterError as exc:
        raise parameter_error(exc) from None

    from cnnbench.reports.render import expectation_diffs, load_check_rows, render_html
    from cnnbench.reports.sections import ReportInputs, build_sections

    inputs = ReportInputs(
        check_json, bench_jsonl, train_json, asv_dir, asv_archive=archive_dir,
        report_dir=out.parent, user_check=user_check, networks=networks, league_json=league_json,
    )
    try:
        sections = build_sections(inputs, progress=lambda name: err_console.print(f"  {name}"))
    except ResultsFileError as exc:  # a file that changed since it was validated above
        raise usage_error(f"a results file: {exc}") from None
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = load_check_rows(check_json)
    diffs = expectation_diffs(rows, expected)
    html = render_html(rows, sections, generated=generated, diffs=diffs)
    from cnnbench.bench.results_io import write_text_atomic

    write_text_atomic(out, html)
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


def _validate_inputs(check_json, bench_jsonl, train_json, expect, asv_dir, archive_dir):
    """Read every input file once, before any figure is drawn; return the expectations.

    A missing results file is fine (the page says which command makes it); a damaged
    one is exit 2 naming its option. Returns the expectations (None when absent).
    """
    from cnnbench.bench.loaders import load_check_results, load_expectations, load_training_results
    from cnnbench.bench.loaders_bench import load_asv_result, load_bench_results
    from cnnbench.reports.history import result_paths

    checks = (("--check", check_json, load_check_results),
              ("--bench", bench_jsonl, load_bench_results),
              ("--train", train_json, load_training_results))  # fmt: skip
    for option, path, load in checks:
        if not path.exists() and not path.is_symlink():  # a looping link is not "missing"
            continue
        try:
            found = load(path)
        except ResultsFileError as exc:
            raise usage_error(f"`{option}`: {exc}") from None
        torn = getattr(found, "torn_line", None)
        if torn is not None:
            err_console.print(f"[yellow]warning:[/] `{option}`: {path}: line {torn} is torn (an "
                              "interrupted write) and left out; `cnnbench bench --resume` "
                              "re-runs it")  # fmt: skip
    for option, folder in (("--asv-history", archive_dir), ("--asv-results", asv_dir)):
        if folder.exists() and not folder.is_dir():
            raise usage_error(f"`{option}`={str(folder)!r} is not a folder")
        for path in result_paths(folder) if folder.is_dir() else ():
            try:
                load_asv_result(path)
            except ResultsFileError as exc:
                raise usage_error(f"`{option}`: {exc} (delete or re-run it: "
                                  "`asv run <commit>^!`)") from None  # fmt: skip
    if expect is None or not (expect.exists() or expect.is_symlink()):
        return None
    try:
        return load_expectations(expect)
    except ResultsFileError as exc:
        raise usage_error(f"`--expect`: {exc}") from None


def _validate_user_inputs(user_check: Path, networks: Path) -> None:
    """The user's claims results and network profiles, read once before anything is drawn."""
    from cnnbench.bench.loaders import load_check_results
    from cnnbench.bench.loaders_network import load_network_profile, network_paths

    try:
        if user_check.exists() or user_check.is_symlink():
            load_check_results(user_check)
    except ResultsFileError as exc:
        raise usage_error(f"`--user-check`: {exc}") from None
    try:
        for path in network_paths(networks):
            load_network_profile(path)
    except ResultsFileError as exc:
        raise usage_error(f"`--networks`: {exc}") from None


def _browser_check(page: Path, screenshot: Path) -> None:
    from cnnbench.reports.browser import inspect_page

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
