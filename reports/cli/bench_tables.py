"""The tables `cnnbench bench` prints: a Compare-style summary and the headline ratios."""

from __future__ import annotations

from collections import defaultdict

from cnnbench.reports.cli._app import console
from rich.markup import escape
from rich.table import Table


def fmt_time(s: float) -> str:
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.1f} µs"


def _layout(group: str, w: dict) -> tuple[str, str, str]:
    """(section, row, column) like torch's Compare: op -> section, config -> row, size -> col."""
    if group == "conv":
        net, _, layer = w["case"].partition("/")
        return (f"conv2d {net}", f"{w['dtype']} {w['layout']} {w['direction']}", layer)
    if group == "layout":
        net, _, layer = w["case"].partition("/")
        return ("to_channels_last", f"{w['dtype']} {net}", layer)
    return (f"{w['op']} {w['direction']}", f"{w['dtype']} {w['impl']} [{w['alloc']}]", w["case"])


def print_summary(records: list[dict], keys: set[str] | None = None) -> None:
    """One table per section; each cell: median time and % of roofline ('!' = suspect)."""
    from cnnbench.bench.compare import best_ceilings

    headers = [r for r in records if r.get("type") == "header"]
    best = best_ceilings(records)
    if headers and best is not None:
        h = headers[-1]
        bw = ", ".join(f"{k} {v / 1e9:.1f} GB/s" for k, v in best["bandwidth"].items())
        fl = ", ".join(f"{k} {v / 1e9:.1f} GFLOP/s" for k, v in best["flops"].items())
        console.print(f"[bold]ceilings[/] ({h['device']}, {h['machine']['cpu']}; best of "
                      f"start and end of run): copy {bw}; matrix {fl}; "
                      f"threads {h['machine']['flags']['num_threads']}")  # fmt: skip
    latest: dict[str, dict] = {}
    for r in records:
        if r.get("type") == "result" and (keys is None or r["workload"]["key"] in keys):
            latest[r["workload"]["key"]] = _reassess(r, best)
    sections: dict[str, dict[str, dict[str, dict]]] = defaultdict(lambda: defaultdict(dict))
    columns: dict[str, list[str]] = defaultdict(list)
    for r in latest.values():
        w = r["workload"]
        sec, row, col = _layout(w["group"], w)
        sec = f"{sec} ({w['device']})"
        sections[sec][row][col] = r
        if col not in columns[sec]:
            columns[sec].append(col)
    for sec in sections:
        table = Table(title=escape(sec), title_justify="left")
        table.add_column("")
        for col in columns[sec]:
            table.add_column(escape(col), justify="right")
        for row, cells in sections[sec].items():
            table.add_row(escape(row), *(_cell(cells.get(col)) for col in columns[sec]))
        console.print(table)
    console.print(escape(
        "cell: median [% of roofline] w|m|c; '!' marks a suspect result above 100% of a "
        "measured limit; w/m/c: working set <= LLC/2 (warm, read against cache bandwidth), "
        "mixed, >= 2x LLC (cold, read against DRAM bandwidth); [alloc] = output allocated "
        "per call, [out] = preallocated (the roofline applies to the latter)"
    ))


def _reassess(r: dict, best: dict | None) -> dict:
    """The record with its roofline read against the best ceilings of the file."""
    if best is None:
        return r
    from cnnbench.bench.roofline import Ceilings, assess
    from cnnbench.bench.workloads import workload_from_json

    w = workload_from_json(r["workload"])
    roof = assess(w, r["measurement"]["median"], Ceilings.from_json(best))
    return {**r, "roofline": roof.to_json()}


def _cell(r: dict | None) -> str:
    if r is None:
        return ""
    m, roof = r["measurement"], r["roofline"]
    mark = "[bold red]![/]" if roof["suspect"] else ""
    cache = {"warm": "w", "mixed": "m", "cold": "c"}.get(roof.get("cache", ""), "")
    return f"{fmt_time(m['median'])} {roof['fraction']:.0%}{mark} {cache}"


def print_comparisons(records: list[dict]) -> None:
    """The issue's headline figures, where the records hold what they need."""
    from cnnbench.bench.compare import copy_fractions, fused_vs_builtin, layout_ratios
    from cnnbench.bench.machine import llc_bytes

    cf = copy_fractions(records, llc_bytes())
    if cf:
        t = Table(title="preallocated output, working set >= 4x LLC: share of copy bandwidth",
                  title_justify="left")  # fmt: skip
        for col in ("op", "impl", "dtype", "size", "GB/s", "copy GB/s", "fraction"):
            t.add_column(col, justify="right" if col in ("GB/s", "copy GB/s", "fraction")
                         else "left")  # fmt: skip
        for x in sorted(cf, key=lambda x: (x.op, x.impl)):
            t.add_row(x.op, x.impl, x.dtype, x.case, f"{x.achieved_bytes_per_s / 1e9:.1f}",
                      f"{x.copy_bytes_per_s / 1e9:.1f}", f"{x.fraction:.0%}")  # fmt: skip
        console.print(t)
    fv = fused_vs_builtin(records)
    if fv:
        t = Table(title="fused custom activation / fastest built-in of its class (out mode)",
                  title_justify="left")  # fmt: skip
        for col in ("op", "impl", "vs", "dtype", "size", "fused", "built-in", "ratio"):
            t.add_column(col)
        for x in sorted(fv, key=lambda x: (x.op, x.impl, x.case)):
            t.add_row(x.op, x.impl, f"{x.builtin} ({x.builtin_impl})", x.dtype, x.case,
                      fmt_time(x.fused_s), fmt_time(x.builtin_s), f"{x.ratio:.2f}x")  # fmt: skip
        console.print(t)
    lr = layout_ratios(records)
    if lr:
        t = Table(title="conv NCHW time / channels_last time (> 1: channels_last faster)",
                  title_justify="left")  # fmt: skip
        dirs = ("forward", "backward_data", "backward_weight", "backward")
        t.add_column("layer")
        t.add_column("dtype")
        for d in dirs:
            t.add_column(d, justify="right")
        rows: dict[tuple, dict] = defaultdict(dict)
        for x in lr:
            rows[(x.layer, x.dtype)][x.direction] = x.ratio
        for (layer, dtype), v in rows.items():
            t.add_row(escape(layer), dtype, *(f"{v[d]:.2f}" if d in v else "" for d in dirs))
        console.print(t)
