"""One self-contained HTML report from the JSON results of check, bench and train.

Everything the page needs is inside the file: figures are PNG data URIs, the
verdict filter is a few lines of inline script, no network is touched.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

VERDICT_ORDER = ("refuted", "inconclusive", "error", "confirmed")
SEVERITY_ORDER = ("substantive", "slip", "transcription", None)  # None: not yet classified
CHECK_COMMAND = "cnnbench check --json reports/out/check.json"
EXPECT_COMMAND = "cnnbench check --expect tests/expected_verdicts.json"


@dataclass(frozen=True)
class Figure:
    src: str  # data URI
    caption: str


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Section:
    """A report section: what it shows and the command that reproduces it."""

    anchor: str
    title: str
    command: str
    figures: tuple[Figure, ...] = ()
    tables: tuple[Table, ...] = ()
    missing: tuple[str, ...] = ()  # what could not be shown, and how to produce it
    note: str = ""
    links: tuple[tuple[str, str], ...] = ()  # (text, href), e.g. the offline asv site


@dataclass(frozen=True)
class ExpectationDiff:
    """A claim whose verdict in this run is not the committed expectation."""

    id: str
    expected: str | None  # None: a claim the expectations do not know
    got: str


def expectation_diffs(
    rows: Sequence[dict[str, Any]], expected: dict[str, str] | None
) -> tuple[ExpectationDiff, ...]:
    """Claims of ``rows`` whose verdict differs from ``expected`` (claims not run are not diffs).

    >>> rows = [{"id": "a.x", "verdict": "refuted"}, {"id": "a.y", "verdict": "confirmed"}]
    >>> expectation_diffs(rows, {"a.x": "inconclusive", "a.y": "confirmed", "a.z": "refuted"})
    (ExpectationDiff(id='a.x', expected='inconclusive', got='refuted'),)
    """
    if expected is None:
        return ()
    return tuple(ExpectationDiff(r["id"], expected.get(r["id"]), r["verdict"])
                 for r in sorted(rows, key=lambda r: r["id"])
                 if expected.get(r["id"]) != r["verdict"])  # fmt: skip


@dataclass(frozen=True)
class CheckView:
    command: str
    rows: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    diffs: tuple[ExpectationDiff, ...] = ()
    expect_command: str = EXPECT_COMMAND

    @property
    def counts(self) -> list[tuple[str, int]]:
        c = Counter(r["verdict"] for r in self.rows)
        return [(v, c[v]) for v in VERDICT_ORDER if c[v]]

    @property
    def refuted(self) -> list[dict[str, Any]]:
        """Refuted rows, substantive errors first; a row that repeats another's error
        (``same_as``) right after the row it repeats."""
        rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
        rows = [r for r in self.rows if r["verdict"] == "refuted"]
        key = {r["id"]: (rank[r.get("severity")], r["seed"], r["id"]) for r in rows}
        return sorted(rows, key=lambda r: (*key.get(r.get("same_as"), key[r["id"]]),
                                           r.get("same_as") is not None, r["id"]))  # fmt: skip

    @property
    def severity_counts(self) -> list[tuple[str, int]]:
        """Distinct errors per severity (a ``same_as`` row is not counted again)."""
        c = Counter(r.get("severity") for r in self.refuted if not r.get("same_as"))
        return [(s or "unclassified", c[s]) for s in SEVERITY_ORDER if c[s]]

    @property
    def repeats(self) -> int:
        return sum(1 for r in self.refuted if r.get("same_as"))

    @property
    def seeds(self) -> list[str]:
        return sorted({r["seed"] for r in self.rows})


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it lies inside it, else as given."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def relative_href(target: Path, report_dir: Path) -> str:
    """A link from the report's folder to ``target`` that works wherever both are moved together."""
    import os

    return Path(os.path.relpath(Path(target).resolve(), Path(report_dir).resolve())).as_posix()


def load_check_rows(path: Path | None) -> tuple[dict[str, Any], ...]:
    """Rows of ``cnnbench check --json``, refuted first, then by seed and id."""
    if path is None or not path.exists():
        return ()
    from cnnbench.bench.loaders import load_check_results  # validated: a damaged file is an error

    rows = load_check_results(path)
    for r in rows:
        for key in ("severity", "same_as", "caveat"):  # absent from files written before them
            r.setdefault(key, None)
        r.setdefault("severity_reason", "")
        r["evidence_json"] = json.dumps(r["evidence"], indent=1, sort_keys=True)
    rank = {v: i for i, v in enumerate(VERDICT_ORDER)}
    return tuple(sorted(rows, key=lambda r: (rank.get(r["verdict"], 9), r["seed"], r["id"])))


def render_html(
    check_rows: Sequence[dict[str, Any]],
    sections: Sequence[Section],
    *,
    generated: str,
    diffs: Sequence[ExpectationDiff] = (),
) -> str:
    """The report page. ``generated`` is passed in so tests can pin it; ``diffs`` are
    the verdicts that differ from the committed expectation (a note leads the page)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cnnbench.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    verdicts = Section("verdicts", "Verdicts", CHECK_COMMAND)
    return env.get_template("report.html.j2").render(
        generated=generated,
        check=CheckView(CHECK_COMMAND, tuple(check_rows), tuple(diffs)),
        sections=[verdicts, *sections],
    )
