"""``cnnbench bench``: time the workload grid, append JSON Lines, print a Compare-style table."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from analysis._validation import ParameterError
from bench.workloads import (
    PROFILE_ENV,
    all_workloads,
    dedupe,
    resolve_device,
    resolve_profile,
    select,
)
from reports.cli._app import EXIT_FAILED, EXIT_OK, app, console, err_console, usage_error

EXIT_INTERRUPTED = 130  # the shell's code for SIGINT


@app.command()
def bench(
    profile: Annotated[
        str | None,
        typer.Option("--profile", help=f"short (default) or full; else ${PROFILE_ENV}."),
    ] = None,
    device: Annotated[str, typer.Option("--device", help="cpu or cuda.")] = "cpu",
    filter_: Annotated[
        str | None, typer.Option("--filter", help="Regular expression on workload keys.")
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="JSON Lines results file.")] = Path(
        "results/bench.jsonl"
    ),
    resume: Annotated[
        bool, typer.Option("--resume", help="Keep --out and skip workloads it already has.")
    ] = False,
    threads: Annotated[
        int | None, typer.Option("--threads", help="Intra-op threads (default: torch's).")
    ] = None,
    budget: Annotated[
        float, typer.Option("--budget", help="Sampling seconds per workload at most.")
    ] = 0.5,
    list_only: Annotated[
        bool, typer.Option("--list", help="List the selected workload keys and exit.")
    ] = False,
    crosscheck: Annotated[
        bool,
        typer.Option(
            "--crosscheck",
            help="Time >= 10 workloads with this harness and torch.utils.benchmark; "
            "print the agreement.",
        ),
    ] = False,
    dedupe_: Annotated[
        bool,
        typer.Option("--dedupe", help="Time each distinct shape once (networks share layers)."),
    ] = False,
    show: Annotated[
        bool, typer.Option("--show", help="Print the summary of --out without timing anything.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary table.")] = False,
) -> None:
    """Time activations and convolutions; results are appended to --out as each finishes.

    Exit 0 when every workload ran, 1 when one failed its float64 check or
    crashed, 2 on bad usage (incl. --device cuda without CUDA), 130 on Ctrl-C
    (finished workloads are kept; rerun with --resume).
    """
    from bench.harness import HarnessConfig
    from bench.sweep import SWEEP_CONFIG

    try:
        prof = resolve_profile(profile)
        dev = resolve_device(device)
        if threads is not None and threads < 1:
            raise ParameterError("threads", threads, "must be a positive integer")
        cfg = HarnessConfig(**{**SWEEP_CONFIG.__dict__, "budget_s": budget})
        chosen = select(all_workloads(prof, dev), filter_)
        chosen = dedupe(chosen) if dedupe_ else chosen
    except ParameterError as exc:
        raise usage_error(str(exc)) from None
    if show:
        from bench.sweep import read_records

        if not out.exists():
            raise usage_error(f"`--out`={str(out)!r} does not exist (nothing to show)")
        records = read_records(out)
        print_summary(records)
        print_comparisons(records)
        raise typer.Exit(EXIT_OK)
    if not chosen and not crosscheck:
        raise usage_error(f"`--filter`={filter_!r} matches no workload of profile {prof!r}")
    if list_only:
        for w in chosen:
            console.print(escape(w.key), soft_wrap=True)
        raise typer.Exit(EXIT_OK)
    if crosscheck:
        _run_crosscheck(dev, filter_, chosen, cfg, threads, out)
        raise typer.Exit(EXIT_OK)

    outcome = _run_with_progress(chosen, out, prof, dev, threads, resume, cfg)
    if outcome.interrupted:
        err_console.print(
            f"[yellow]interrupted[/]: kept {len(outcome.done)} finished workloads "
            f"(+{len(outcome.skipped)} from before) in {out}; rerun with --resume"
        )
        raise typer.Exit(EXIT_INTERRUPTED)
    from bench.sweep import read_records

    records = read_records(out)
    if not quiet:
        print_summary(records, keys={w.key for w in chosen})
        print_comparisons(records)
    console.print(
        f"{len(outcome.done)} timed, {len(outcome.skipped)} already done, "
        f"{len(outcome.failed)} failed in {outcome.seconds:.1f} s; results in {out}"
    )
    for r in records:
        if r.get("type") == "error" and r["workload"]["key"] in set(outcome.failed):
            err_console.print(f"[bold magenta]failed[/] {escape(r['error'])}")
    raise typer.Exit(EXIT_FAILED if outcome.failed else EXIT_OK)


def _run_with_progress(chosen, out, prof, dev, threads, resume, cfg):
    from bench.sweep import run_sweep

    progress = Progress(
        TextColumn("[bold]bench[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    with progress:
        task = progress.add_task("measuring ceilings", total=None)

        def tick(i, total, w, record):
            progress.update(task, total=total, completed=i, description=escape(w.key[:70]))

        return run_sweep(chosen, out, profile=prof, device=dev, threads=threads,
                         resume=resume, config=cfg, progress=tick)  # fmt: skip


def _run_crosscheck(dev, filter_, chosen, cfg, threads, out: Path) -> None:
    from bench.crosscheck import AGREEMENT_TARGET, crosscheck, default_workloads

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
        table.add_row(escape(a.key), _fmt_time(a.harness_s), _fmt_time(a.timer_s),
                      f"[{style}]{a.ratio:.3f}[/]", f"{a.harness_rel_ci:.1%}",
                      str(a.timer_block), f"{a.ratio_matched:.3f}")  # fmt: skip
    console.print(table)
    within = sum(a.within_target for a in res)
    matched = sum(abs(a.ratio_matched - 1) <= AGREEMENT_TARGET for a in res)
    console.print(f"{within}/{len(res)} within ±{AGREEMENT_TARGET:.0%}; with samples as long "
                  f"as Timer's blocks: {matched}/{len(res)}")  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    cc = out.with_name(out.stem + ".crosscheck.jsonl")
    cc.write_text("".join(json.dumps(a.to_json()) + "\n" for a in res))
    console.print(f"wrote {cc}")


def _fmt_time(s: float) -> str:
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
    from bench.compare import best_ceilings

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
    from bench.roofline import Ceilings, assess
    from bench.workloads import workload_from_json

    w = workload_from_json(r["workload"])
    roof = assess(w, r["measurement"]["median"], Ceilings.from_json(best))
    return {**r, "roofline": roof.to_json()}


def _cell(r: dict | None) -> str:
    if r is None:
        return ""
    m, roof = r["measurement"], r["roofline"]
    mark = "[bold red]![/]" if roof["suspect"] else ""
    cache = {"warm": "w", "mixed": "m", "cold": "c"}.get(roof.get("cache", ""), "")
    return f"{_fmt_time(m['median'])} {roof['fraction']:.0%}{mark} {cache}"



def print_comparisons(records: list[dict]) -> None:
    """The issue's headline figures, where the records hold what they need."""
    from bench.compare import copy_fractions, fused_vs_builtin, layout_ratios
    from bench.machine import llc_bytes

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
                      _fmt_time(x.fused_s), _fmt_time(x.builtin_s), f"{x.ratio:.2f}x")  # fmt: skip
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
