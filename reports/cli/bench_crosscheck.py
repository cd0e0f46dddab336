"""``cnnbench bench --crosscheck``: this harness against torch.utils.benchmark."""

from __future__ import annotations

from pathlib import Path

from cnnbench.bench.results_io import write_text_atomic
from cnnbench.reports.cli._app import console, err_console, usage_error
from cnnbench.reports.cli.bench_tables import fmt_time
from rich.markup import escape
from rich.table import Table


def crosscheck_path(out: Path) -> Path:
    return out.with_name(out.stem + ".crosscheck.jsonl")


def run_crosscheck(dev, filter_, chosen, cfg, threads, out: Path) -> None:
    import json

    from cnnbench.bench.crosscheck import AGREEMENT_TARGET, crosscheck, default_workloads

    if dev != "cpu":
        raise usage_error("`--crosscheck` compares CPU timers; use --device cpu")
    ws = chosen if filter_ is not None else default_workloads(dev)
    with err_console.status(f"cross-checking {len(ws)} workloads"):
        res = crosscheck(ws, cfg, threads)
    table = Table(title=f"harness vs torch.utils.benchmark (target ±{AGREEMENT_TARGET:.0%})")
    for col in ("workload", "harness", "Timer", "ratio", "±CI", "block", "matched ratio"):
        table.add_column(col, justify="left" if col == "workload" else "right")
    for a in res:
        style = "green" if a.within_target else "yellow"
        table.add_row(escape(a.key), fmt_time(a.harness_s), fmt_time(a.timer_s),
                      f"[{style}]{a.ratio:.3f}[/]", f"{a.harness_rel_ci:.1%}",
                      str(a.timer_block), f"{a.ratio_matched:.3f}")  # fmt: skip
    console.print(table)
    within = sum(a.within_target for a in res)
    matched = sum(abs(a.ratio_matched - 1) <= AGREEMENT_TARGET for a in res)
    console.print(f"{within}/{len(res)} within ±{AGREEMENT_TARGET:.0%}; with samples as long "
                  f"as Timer's blocks: {matched}/{len(res)}")  # fmt: skip
    cc = crosscheck_path(out)
    write_text_atomic(cc, "".join(json.dumps(a.to_json(), allow_nan=False) + "\n" for a in res))
    console.print(f"wrote {cc}")
