"""The report's section across machines: the same workloads timed on machine A and B.

A bench results file can hold several runs (``cnnbench merge --bench a.jsonl
--bench b.jsonl``, or a cluster sweep, one run per worker machine). Each run
keeps its own header with the ceilings measured on *its* machine, and each
result its fraction of those ceilings, so machines are compared where it is
fair: each workload's time and its percentage of its own machine's measured
limit, side by side. A machine is named by the results' ``where.machine``
(``$CNNBENCH_MACHINE``, asv's machine name, or the host name), else by the
header's host name (files written before results recorded where they ran).
"""

from __future__ import annotations

from collections import defaultdict

from cnnbench.reports.figures import figure_data_uri
from cnnbench.reports.render import Figure, Section, Table

MERGE_COMMAND = ("cnnbench merge --bench a.jsonl --bench b.jsonl --out reports/out/bench.jsonl "
                 "&& cnnbench report")  # fmt: skip
MAX_MACHINES = 8  # columns of one table: more machines than that are shown as the first 8


def run_machines(records: list[dict]) -> dict[str, str]:
    """run_id -> the machine it ran on (see the module docstring)."""
    names: dict[str, str] = {}
    for r in records:
        if r.get("type") == "header":
            m = r.get("where") or {}
            names[r["run_id"]] = m.get("machine") or (r.get("machine") or {}).get("hostname", "?")
    for r in records:  # a result's own record of where it ran is the more precise
        place = r.get("where") if r.get("type") == "result" else None
        if place and place.get("machine"):
            names[r["run_id"]] = place["machine"]
    return names


def machine_records(records: list[dict]) -> dict[str, list[dict]]:
    """Records grouped by machine, in the order the machines first appear."""
    names = run_machines(records)
    out: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        out[names.get(r.get("run_id", ""), "?")].append(r)
    return dict(out)


def side_by_side(records: list[dict]) -> tuple[list[str], dict[str, dict[str, dict]]]:
    """(machines, key -> machine -> result) for the workloads timed on two machines or more.

    A workload timed twice on one machine keeps its last result (a rerun).
    """
    by_machine = machine_records(records)
    machines = [m for m, rs in by_machine.items() if any(r["type"] == "result" for r in rs)]
    table: dict[str, dict[str, dict]] = defaultdict(dict)
    for m in machines:
        for r in by_machine[m]:
            if r["type"] == "result":
                table[r["workload"]["key"]][m] = r
    return machines, {k: v for k, v in table.items() if len(v) >= 2}


def _cell(r: dict | None) -> str:
    if r is None:
        return "-"
    t = r["measurement"]["median"]
    frac = (r.get("roofline") or {}).get("fraction")
    time = f"{t * 1e3:.3g} ms" if t >= 1e-4 else f"{t * 1e6:.3g} µs"
    return time if frac is None else f"{time} ({100 * frac:.0f}% of its limit)"


def machines_section(records: list[dict], source: str) -> Section:
    """Side by side when ``records`` come from two machines or more; else what to run."""
    machines, shared = side_by_side(records)
    title, anchor = "Across machines", "machines"
    if len(machines) < 2 or not shared:
        why = (f"results from {len(machines)} machine(s) in {source}" if len(machines) < 2 else
               f"no workload timed on two of the machines in {source} ({', '.join(machines)})")
        return Section(anchor, title, MERGE_COMMAND, missing=(
            f"{why}: time the same workloads on another machine (`CNNBENCH_MACHINE=<name> "
            "cnnbench bench --out b.jsonl`) and merge the files: "
            f"`{MERGE_COMMAND}`",))  # fmt: skip
    shown = machines[:MAX_MACHINES]
    ref = shown[0]
    rows = []
    for key in sorted(shared):
        cells = shared[key]
        ratio = "-"
        if ref in cells and shown[1] in cells:
            a, b = (cells[m]["measurement"]["median"] for m in (ref, shown[1]))
            ratio = f"{b / a:.2f}"
        rows.append((key, *(_cell(cells.get(m)) for m in shown), ratio))
    table = Table(f"median time per workload, and its % of the measured limit of its own "
                  f"machine ({len(shared)} workloads timed on two machines or more)",
                  ("workload", *shown, f"time {shown[1]} / {ref}"), tuple(rows))  # fmt: skip
    fig = Figure(figure_data_uri(_figure(shared, shown)), (
        f"Each workload's percentage of its own machine's measured limit: {ref} (x) against "
        "each other machine (y). On the diagonal a workload uses both machines equally well; "
        "above it, the other machine gets closer to its limit."))  # fmt: skip
    note = (f"{len(machines)} machines in {source}: {', '.join(machines)}"
            + (f" (the first {MAX_MACHINES} shown)" if len(machines) > MAX_MACHINES else "")
            + ". Each machine's ceilings were measured in its own run.")  # fmt: skip
    return Section(anchor, title, MERGE_COMMAND, figures=(fig,), tables=(table,), note=note)


def _fraction(r: dict) -> float:
    return float((r.get("roofline") or {}).get("fraction") or 0.0)


def _figure(shared: dict[str, dict[str, dict]], machines: list[str]):
    import matplotlib.pyplot as plt

    ref = machines[0]
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    top = 1.0
    for other in machines[1:]:
        pts = [(100 * _fraction(c[ref]), 100 * _fraction(c[other]))
               for c in shared.values() if ref in c and other in c]  # fmt: skip
        if pts:
            xs, ys = zip(*pts, strict=True)
            ax.scatter(xs, ys, s=14, alpha=0.7, label=other)
            top = max(top, *xs, *ys)
    ax.plot([0, top], [0, top], color="grey", lw=0.8, ls="--")
    ax.set_xlabel(f"% of limit on {ref}")
    ax.set_ylabel("% of limit on the other machine")
    ax.legend(title="machine", fontsize="small")
    fig.tight_layout()
    return fig
