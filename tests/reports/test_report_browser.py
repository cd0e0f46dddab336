"""The report in a real browser: no console errors, images decode, the filter works."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cnnbench.reports.browser import chromium_path, inspect_page
from cnnbench.reports.render import Section, load_check_rows, render_html

FIXTURES = Path(__file__).parent / "fixtures"
# CI sets CI=true: there a missing browser is a broken install step, not a skip.
REQUIRE_BROWSER = os.environ.get("CI") == "true"


@pytest.fixture(scope="module")
def browser_ok():
    if chromium_path() is None:
        if REQUIRE_BROWSER:
            pytest.fail("chromium is missing in CI: `make test` should have installed it")
        pytest.skip("chromium not installed (make test installs Debian's chromium)")


def _tiny_png_section() -> Section:
    import matplotlib.pyplot as plt
    from cnnbench.reports.figures import figure_data_uri
    from cnnbench.reports.render import Figure

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [0, 1])
    return Section(
        "demo", "Demo figure", "cnnbench report", figures=(Figure(figure_data_uri(fig), "line"),)
    )


def _league_like_section() -> Section:
    from cnnbench.reports.render import Table

    rows = (("tanh", "1", "1.593", "∞ (critical)"), ("relu", "1", "1.414", "1.44 (ordered)"),
            ("gelu", "1/2", "1.534", "0.721 (ordered)"), ("selu", "1.0507", "1", "—"))
    return Section("league", "Activation league table", "cnnbench league",
                   tables=(Table("league", ("activation", "slope", "gain", "ξ"), rows),))


def test_fixture_report_in_browser(browser_ok, tmp_path):
    html = render_html(
        load_check_rows(FIXTURES / "check.json"), [_tiny_png_section(), _league_like_section()],
        generated="t",
    )
    page = tmp_path / "report.html"
    page.write_text(html)
    shot = Path(os.environ.get("CNNBENCH_SCREENSHOT_DIR", tmp_path)) / "fixture-report.png"
    seen = inspect_page(page.as_uri(), screenshot=shot)
    assert seen.console_errors == ()
    assert seen.failed_requests == ()
    assert seen.images == 1 and seen.broken_images == ()
    assert seen.verdict_rows == 5
    assert seen.filter_works is True
    assert {"verdicts", "demo", "league"} <= set(seen.sections)
    assert seen.sort_works is True  # every column of the league table, both directions
    assert shot.stat().st_size > 10_000


def test_across_machines_section_in_browser(browser_ok, tmp_path):
    from cnnbench.bench.loaders_bench import load_bench_results
    from cnnbench.reports.machines_section import machines_section

    records = [r for name in ("bench-ci-2core.jsonl", "bench-second-machine.jsonl")
               for r in load_bench_results(FIXTURES / name).records]  # fmt: skip
    html = render_html(load_check_rows(FIXTURES / "check.json"),
                       [machines_section(records, "merged.jsonl")], generated="t")  # fmt: skip
    page = tmp_path / "report.html"
    page.write_text(html)
    seen = inspect_page(page.as_uri())
    assert seen.console_errors == () and seen.failed_requests == ()
    assert seen.images == 1 and seen.broken_images == ()
    assert "machines" in seen.sections
    assert "second-machine" in html and "of its limit" in html
