"""``cnnbench network``: profile any torch model layer by layer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from cnnbench.analysis._validation import ParameterError
from cnnbench.reports.cli._app import (
    app,
    console,
    err_console,
    parameter_error,
    usage_error,
    within,
)
from rich.markup import escape
from rich.table import Table

NAMES = {"spec": "SPEC", "input_shape": "--input", "html_out": "--html"}
# Limits of the command line. --samples and --batch scale the Monte Carlo pass and the
# timed inputs; --budget is wall-clock seconds of timing.
MAX_SAMPLES = 256  # 256 ResNet-50 samples at 224² are 1 TMAC forward: minutes
MAX_BATCH = 64
MAX_BUDGET_S = 3600.0
# The gradient-support cross-check runs by itself on models this cheap (one forward pass,
# float64); --verify forces it (up to the oracle's own limit), --no-verify skips it.
AUTO_VERIFY_MACS = 2 * 10**8


@app.command()
def network(
    spec: Annotated[str, typer.Argument(metavar="SPEC", show_default=False, help=(
        "A network of the texts (lenet5, alexnet, vgg16, ...), module:factory or "
        "path/to/file.py:factory (a function returning a torch.nn.Module)."))],
    input_shape: Annotated[str | None, typer.Option("--input", help=(
        "One sample's shape CxHxW (also CxL, CxDxHxW); a network of the texts has a "
        "default."))] = None,
    verify: Annotated[bool | None, typer.Option("--verify/--no-verify", help=(
        "Cross-check the receptive fields by autograd's gradient support on a real forward "
        "pass (default: only when the model costs under 0.2 GMAC)."))] = None,
    variance: Annotated[bool, typer.Option("--variance", help=(
        "Also measure each layer's forward and backward second moments at initialisation "
        "(Monte Carlo) and flag explosion or vanishing."))] = False,
    samples: Annotated[int, typer.Option("--samples", help="Inputs of the --variance pass.")] = 8,
    layouts: Annotated[bool, typer.Option("--layouts", help=(
        "Also time every 2-D convolution forward+backward in NCHW and channels_last and "
        "recommend a layout per layer and for the model."))] = False,
    budget: Annotated[float, typer.Option("--budget", help=(
        "Seconds of --layouts timing in all (shared by the layers)."))] = 60.0,
    batch: Annotated[int, typer.Option("--batch", help="Batch of the --layouts inputs.")] = 1,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    html_out: Annotated[Path | None, typer.Option("--html", help=(
        "Also write the profile as an HTML page here (its folder is created)."))] = None,
    save: Annotated[Path | None, typer.Option("--out", help=(
        "Also write the JSON here, atomically (its folder is created); `cnnbench report` "
        "shows every profile in reports/out/networks/."))] = None,
) -> None:
    """Profile a torch model: per layer output shape, receptive field and jump, parameters,
    MACs and activation memory; then totals.

    Shapes come from a pass on the meta device (any size costs nothing); MACs are
    cross-checked with torch's FlopCounterMode (2 FLOPs per MAC). Exit 0 on success,
    1 when a cross-check disagrees, 2 on bad usage.
    """
    from cnnbench.analysis.profile.profile import profile_network
    from cnnbench.analysis.profile.source import parse_input, resolve
    from cnnbench.bench.results_io import check_output

    try:
        within("--samples", samples, 2, MAX_SAMPLES, "second moments need 2 samples; "
               f"{MAX_SAMPLES} of a large model take minutes")  # fmt: skip
        within("--batch", batch, 1, MAX_BATCH, "the timed inputs are held in memory")
        within("--budget", budget, 1.0, MAX_BUDGET_S, "wall-clock seconds of timing")
        for option, path in (("--html", html_out), ("--out", save)):
            if path is not None:
                check_output(option, path, create_parent=True)
        source = resolve(spec)
        if input_shape is None and source.default_input is None:
            raise ParameterError("--input", None, "is required for a model of your own: give "
                                 "one sample's shape CxHxW, e.g. 3x224x224")  # fmt: skip
        shape = parse_input(input_shape) if input_shape is not None else source.default_input
        prof = profile_network(source, shape)
    except ParameterError as exc:
        raise parameter_error(exc, NAMES) from None
    except RuntimeError as exc:  # the model refuses this input (torch's own message)
        raise usage_error(f"`--input`={input_shape!r}: the model cannot run on it: "
                          f"{str(exc).splitlines()[0]}") from None  # fmt: skip
    extra = _extras(prof, source, shape, verify, variance, samples, layouts, budget, batch)
    prof.extra.update(extra)
    out = prof.to_json()
    failed = bool(prof.mismatches) or ("verify" in out and out["verify"]["mismatches"])
    if html_out is not None:
        from cnnbench.bench.results_io import write_text_atomic
        from cnnbench.reports.network_page import network_html

        write_text_atomic(html_out, network_html(out))
    if save is not None:
        from cnnbench.bench.results_io import write_json_atomic

        write_json_atomic(save, out)
    if json_out:
        console.print_json(json.dumps(out, allow_nan=False))
    else:
        _print(out)
        for path in (html_out, save):
            if path is not None:
                console.print(f"wrote {path}")
    raise typer.Exit(1 if failed else 0)


def _extras(prof, source, shape, verify, variance, samples, layouts, budget, batch) -> dict:
    extra: dict = {}
    if verify or (verify is None and prof.traced and prof.macs <= AUTO_VERIFY_MACS):
        if not prof.traced:
            extra["verify"] = {"skipped": "the model could not be traced", "mismatches": []}
        else:
            from cnnbench.analysis.profile.oracle import verify as run_verify

            err_console.print("[dim]cross-checking receptive fields with autograd...[/]")
            extra["verify"] = run_verify(source, shape, prof.headline).to_json()
    if variance:
        extra["variance"] = _variance(prof, source, shape, samples)
    if layouts:
        extra["layouts"] = _layouts(source, shape, budget, batch)
    return extra


def _variance(prof, source, shape, samples) -> dict:
    from cnnbench.analysis.profile.moments import EXPLODE, VANISH, moments

    if not prof.traced:
        return {"skipped": "the model could not be traced", "rows": []}
    err_console.print(f"[dim]Monte Carlo pass on {samples} samples...[/]")
    names = {r.node: r.name for r in prof.rows}
    head = next((r.node for r in prof.rows if r.name == prof.headline), None)
    rows = moments(source, shape, names, head, samples=samples)
    return {"samples": samples, "explode": EXPLODE, "vanish": VANISH,
            "backward_reference": prof.headline,
            "rows": [r.to_json() for r in rows],
            "flagged": [r.name for r in rows if r.flag]}  # fmt: skip


def _layouts(source, shape, budget, batch) -> dict:
    from cnnbench.bench.layouts import conversion_s, model_convs, recommend, time_layouts
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    convs = model_convs(source, shape, batch)
    if not convs:
        return {"skipped": "the model has no 2-D convolution", "rows": []}
    progress = Progress(TextColumn("[bold]timing[/] {task.description}"), BarColumn(),
                        MofNCompleteColumn(), console=err_console, transient=True)  # fmt: skip
    with progress:
        task = progress.add_task(convs[0][0], total=len(convs))
        rows = time_layouts(convs, budget, lambda n: progress.update(
            task, advance=0 if n == convs[0][0] else 1, description=escape(n)))  # fmt: skip
    convert = conversion_s([(batch, *shape), convs[-1][3]])
    return {"budget_s": budget, "batch": batch, "rows": [r.to_json() for r in rows],
            "model": recommend(rows, convert)}  # fmt: skip


def _fmt(n: float | None, unit: str = "") -> str:
    if n is None:
        return "-"
    for scale, p in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= scale:
            return f"{n / scale:.2f} {p}{unit}"
    return f"{n:g} {unit}".strip()


def _axes(v) -> str:
    return "-" if v is None else "x".join(f"{x:g}" for x in v)


def _print(out: dict) -> None:
    table = Table(title=f"{out['label']}, input {_axes(out['input'])}", title_justify="left")
    for col in ("layer", "op", "output", "params", "MACs", "act. mem", "rf", "jump"):
        table.add_column(col, justify="left" if col in ("layer", "op") else "right")
    for r in out["layers"]:
        rf = _axes(r["rf"]) if r["rf_state"] == "window" else {
            "global": "whole", "unknown": "?", "none": "-"}[r["rf_state"]]
        table.add_row(escape(r["name"]), r["op"], _axes(r["shape"]), f"{r['params']:,}",
                      _fmt(r["macs"]), _fmt(r["activation_bytes"], "B"), rf, _axes(r["jump"]))
    console.print(table)
    t = out["totals"]
    console.print(f"parameters {t['params']:,} (buffers {t['buffers']:,}); "
                  f"{t['macs']:,} MACs ({_fmt(t['macs'])}MAC = {_fmt(t['flops'])}FLOP), "
                  f"FlopCounterMode {t['torch_macs']:,} MACs; activations "
                  f"{_fmt(t['activation_bytes'], 'B')} per sample")  # fmt: skip
    if t["rf"] is not None:
        console.print(f"receptive field {_axes(t['rf'])}, jump {_axes(t['jump'])}, effective "
                      f"padding {_axes(t['effective_padding'])} (at {escape(t['rf_layer'])})")
    for note in out["notes"]:
        console.print(f"note: {escape(note)}")
    from cnnbench.reports.network_page import extra_lines

    for line in extra_lines(out):
        console.print(escape(line))
