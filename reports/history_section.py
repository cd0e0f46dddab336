"""The report's history section: asv results over commits, and the steps asv flags."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnnbench.reports import history, plots
from cnnbench.reports.figures import figure_data_uri
from cnnbench.reports.render import Figure, Section, Table, display_path, relative_href

if TYPE_CHECKING:
    from cnnbench.reports.sections import ReportInputs

# How the history grows: measure main's new commits, archive them, commit the archive.
HISTORY_COMMAND = "make history"


def history_section(inputs: ReportInputs) -> Section:
    dirs = [d for d in (inputs.asv_archive, inputs.asv_results) if d.is_dir()]
    hist = history.asv_history(dirs)
    site = inputs.asv_results.parent / "html" / "index.html"
    links = ()
    if site.exists():
        text = (f"the asv site, offline: {site} (serve it with `cnnbench asv-site serve`: "
                "browsers refuse its data over file://)")  # fmt: skip
        links = ((text, relative_href(site, inputs.report_dir)),)
    versions = inputs.asv_results / "benchmarks.json"
    described = history.benchmark_descriptions(versions) if versions.is_file() else None
    stale = 0
    if described is not None:
        hist, stale = history.current_only(hist, described)
    if hist.empty:
        where = " or ".join(map(str, dirs)) or "any folder"
        missing = (f"all {stale} asv results under {where} are of since-edited benchmarks"
                   if stale else f"no asv results with values under {where}")  # fmt: skip
        missing += f": run `{HISTORY_COMMAND}`"
        return Section("history", "History over commits", HISTORY_COMMAND, links=links,
                       missing=(missing,))  # fmt: skip
    threshold = history.conf_threshold()
    steps = history.regressions(hist, threshold)
    rows = tuple(
        (r.benchmark, r.params, r["last good"], r["first bad"], f"{r.before:.3g}", f"{r.after:.3g}",
         f"{r.factor:.2f}x") for _, r in steps.iterrows()
    )  # fmt: skip
    table = Table(
        f"steps asv's detector flags (threshold {threshold:.0%}, as `asv publish` would)",
        ("benchmark", "params", "last good", "first bad", "before", "after", "factor"),
        rows,
    )
    fig = Figure(figure_data_uri(plots.history_figure(hist, history.units(described or {}))), (
        f"{hist['benchmark'].nunique()} benchmarks over {hist['commit'].nunique()} commits of "
        "main (asv's median per commit; log scale), "
        f"{_history_provenance(hist, inputs)}"))  # fmt: skip
    notes = [] if rows else ["asv's step detection flags no regression in this history."]
    if stale:
        notes.append(f"{stale} older results of since-edited benchmarks are left out, "
                     "as `asv publish` leaves them out (their version hash differs).")  # fmt: skip
    elif described is None:
        notes.append(f"Benchmark versions were not checked: no {versions} "
                     "(`cnnbench asv-site publish` writes it).")  # fmt: skip
    return Section("history", "History over commits", HISTORY_COMMAND, figures=(fig,),
                   tables=(table,) if rows else (), links=links, note=" ".join(notes))  # fmt: skip


def _history_provenance(hist, inputs: ReportInputs) -> str:
    """Where the points come from: which machines, committed archive vs this checkout."""
    machines = ", ".join(sorted(hist["machine"].unique()))
    per_source = hist.groupby("source")["commit"].nunique()
    parts = []
    for folder, label in ((inputs.asv_archive, "the committed history"),
                          (inputs.asv_results, "this checkout's results")):  # fmt: skip
        n = int(per_source.get(str(folder), 0))
        if n:
            parts.append(f"{n} commits read from {label}, {display_path(folder)}")
    return (f"measured on machine {machines} with `asv run` ({'; '.join(parts)}). "
            "Re-measure one commit: `asv run <commit>^!`.")  # fmt: skip
