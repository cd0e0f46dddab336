"""The HTML built from fixed fixture results, compared with a committed golden file.

Regenerate after an intended template change with
``CNNBENCH_UPDATE_GOLDEN=1 pytest tests/reports/test_render_golden.py`` and
review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from cnnbench.reports.render import Section, Table, expectation_diffs, load_check_rows, render_html

HERE = Path(__file__).parent
GOLDEN = HERE / "golden" / "report.html"


def _render() -> str:
    table = Table("ceilings", ("what", "value"), (("copy bandwidth", "12.3 GB/s"),))
    section = Section(
        "machine",
        "The machine",
        "cnnbench report",
        tables=(table,),
        missing=("no bench results: run `cnnbench bench`",),
    )
    return render_html(
        load_check_rows(HERE / "fixtures" / "check.json"),
        [section],
        generated="2026-01-01 00:00 UTC",
    )


def _scrub(html: str) -> str:
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:image/png;base64,...", html)


def test_report_matches_golden():
    html = _scrub(_render())
    if os.environ.get("CNNBENCH_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(html)
    assert html == GOLDEN.read_text()


def test_report_escapes_text_from_results():
    html = _render()
    assert "&lt;b&gt;escaped&lt;/b&gt;" in html and "<b>escaped</b>" not in html


def test_report_lists_refuted_first_with_correction():
    html = _render()
    wrong = html[html.index('id="refuted-table"') : html.index("All claims")]
    assert "maxdepth.demo-closed-form" in wrong and "shapes.demo-equivalence" not in wrong
    assert "fixture LP" in wrong


def test_report_notes_verdicts_that_differ_from_the_expectation():
    # issue 9: a flipped verdict is shown where it happens, at the top of the page
    rows = load_check_rows(HERE / "fixtures" / "check.json")
    expected = {r["id"]: r["verdict"] for r in rows}
    assert expectation_diffs(rows, expected) == ()
    assert 'id="expect-diff"' not in render_html(rows, [], generated="t")
    flipped = next(r["id"] for r in rows if r["verdict"] == "refuted")
    expected[flipped] = "inconclusive"
    diffs = expectation_diffs(rows, expected)
    assert [(d.id, d.expected, d.got) for d in diffs] == [(flipped, "inconclusive", "refuted")]
    html = render_html(rows, [], generated="t", diffs=diffs)
    note = html[html.index('id="expect-diff"') : html.index('id="wrong"')]
    assert flipped in note and "expected inconclusive" in note


def test_report_orders_refutations_by_severity_and_counts_repeats_once():
    # issue 10: substantive first, a same_as row right after the row it repeats
    html = _render()
    wrong = html[html.index('id="refuted-table"') : html.index("All claims")]
    order = [wrong.index(i) for i in ("shapes.demo-wrong-size", "maxdepth.demo-closed-form<",
                                      "maxdepth.demo-closed-form-again")]  # fmt: skip
    assert order == sorted(order)
    counts = html[html.index('id="severity-counts"') : html.index('id="refuted-table"')]
    assert "1 substantive" in counts and "1 slip" in counts
    assert "1 more claim(s) refute an error already counted" in counts
