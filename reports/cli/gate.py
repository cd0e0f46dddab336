"""``cnnbench gate``: CI performance gates that catch real regressions.

``gate check`` is the within-run ratio gate (see :mod:`cnnbench.bench.gate`);
``gate baseline`` re-measures the A/A baseline; ``gate trials`` repeats the
gate to measure its false-alarm and detection rates (:mod:`.gate_trials`);
``gate counts`` is the instruction-count gate (:mod:`.gate_counts`).

The gate fails closed: a missing, empty, corrupt or meaningless baseline (no
entries, non-finite medians, a tolerance below 1), or one of another machine
fingerprint, is exit 2 with the file and key named, before anything is
measured, never "passed"; exit 1 means only "a regression was confirmed".
``.ci/run`` runs under ``set -e``, so both fail CI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from cnnbench.analysis._validation import ParameterError
from cnnbench.bench.gate_spec import GATE_NAMES, baseline_path
from cnnbench.bench.loaders_bench import load_gate_baseline
from cnnbench.bench.results_io import ResultsFileError, check_output, write_json_atomic
from cnnbench.reports.cli._app import (
    EXIT_FAILED,
    EXIT_OK,
    app,
    console,
    err_console,
    parameter_error,
    usage_error,
)
from rich.markup import escape
from rich.table import Table

MAX_AA_RUNS = 100  # each A/A run measures every workload (~2 s each on a 2-core VM)
MAX_ROUNDS = 1001  # paired rounds per run; the signed-rank test is decided long before
MAX_TRIALS = 1000  # each trial is a whole gate run (tens of seconds)

gate_app = typer.Typer(
    help="Performance gates (within-run ratios; asv commit-vs-commit).", no_args_is_help=True
)
app.add_typer(gate_app, name="gate")

NEIGHBOUR_KINDS = ("none", "memory", "compute")  # cnnbench.bench.gate_neighbours.NEIGHBOURS
IF_MISSING = ("fail", "measure")
BaselineOpt = Annotated[Path | None, typer.Option(
    "--baseline", help="Baseline JSON [default: bench/gate_baselines/<this machine's "
    "fingerprint>.json].")]  # fmt: skip
NeighbourOpt = Annotated[str, typer.Option(
    "--neighbour", help="Run beside a neighbour process: none, memory (128 MB copies) or "
    "compute (small matrix products).")]  # fmt: skip
InjectOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--inject",
        help="NAME=FRACTION: slow NAME by an extra pass over FRACTION "
        "of its tensor (0.5 is about 1.5x), to test the gate.",
    ),
]
OnlyOpt = Annotated[list[str] | None, typer.Option("--only", help="Gate only this workload.")]


def _parse_inject(items: list[str] | None, names: tuple[str, ...] = GATE_NAMES) -> dict[str, float]:
    """``--inject NAME=FRACTION`` items as {name: fraction}, NAME one of ``names``."""
    out = {}
    for item in items or []:
        name, sep, frac = item.partition("=")
        try:
            value = float(frac)
        except ValueError:
            value = -1.0
        if not sep or name not in names or not 0 < value <= 4:
            raise usage_error(
                f"`--inject`={item!r} must be NAME=FRACTION with FRACTION in (0, 4] and NAME one "
                f"of {', '.join(names)}"
            )
        out[name] = value
    return out


def _choice(option: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise usage_error(f"`{option}`={value!r} must be one of {', '.join(allowed)}")
    return value


def _fingerprint() -> dict:
    from cnnbench.bench.fingerprint import machine_fingerprint

    return machine_fingerprint()


def _no_baseline(path: Path, fp: dict) -> str:
    from cnnbench.bench.fingerprint import describe

    others = sorted(p.stem for p in path.parent.glob("*.json")) if path.parent.is_dir() else []
    return (f"no timing baseline for this machine: its fingerprint {fp['id']} ("
            f"{describe(fp['facts'])}) has no {path} (baselines there: "
            f"{', '.join(others) or 'none'}); ratios differ between such machines and are "
            "never compared across fingerprints. Make one with `cnnbench gate baseline` "
            f"(writes {path}; commit it)")  # fmt: skip


def _load(path: Path | None, if_missing: str = "fail") -> tuple[dict, Path]:
    """The validated baseline JSON of this machine's fingerprint, and its path.

    Anything missing, damaged or of another fingerprint is exit 2 (fails
    closed), unless ``if_missing`` is ``measure``: then a missing one is
    measured now, loudly (CI on a machine no baseline was committed for).
    """
    fp = _fingerprint()
    explicit = path is not None
    path = path if explicit else baseline_path(fp["id"])
    try:
        data = load_gate_baseline(path, known=GATE_NAMES)
    except ResultsFileError as exc:
        if exc.problem != "does not exist":
            raise usage_error(f"`--baseline`: {exc}; re-measure it with `cnnbench gate baseline` "
                              "(the gate never passes on a damaged baseline)") from None
        if explicit:
            raise usage_error(f"`--baseline`={str(path)!r} does not exist; create it with "
                              "`cnnbench gate baseline`") from None  # fmt: skip
        if if_missing != "measure":
            raise usage_error(_no_baseline(path, fp)) from None
        err_console.print(f"[bold yellow]{escape(_no_baseline(path, fp))}.\nMEASURING ONE NOW "
                          "(--if-missing measure): the gate below compares this commit with "
                          "itself, so it shows the gate runs and does not cry wolf on this "
                          "machine, but cannot see a regression in this commit.[/]")  # fmt: skip
        from cnnbench.reports.cli.gate_trials import gate_baseline

        gate_baseline(out=path, quiet=True)
        data = load_gate_baseline(path, known=GATE_NAMES)
    if data["fingerprint"]["id"] != fp["id"]:
        raise usage_error(f"`--baseline`={str(path)!r} was measured on fingerprint "
                          f"{data['fingerprint']['id']}, this machine is {fp['id']}; ratios are "
                          "never compared across fingerprints: make this machine's with "
                          "`cnnbench gate baseline`")  # fmt: skip
    return data, path


def _check_names(names: list[str] | None, baseline: dict) -> list[str]:
    known = [e["name"] for e in baseline["entries"]]
    for n in names or []:
        if n not in known:
            raise usage_error(f"`--only`={n!r} is not in the baseline; known: {', '.join(known)}")
    return list(dict.fromkeys(names or known))


def _output(option: str, path: Path | None) -> None:
    if path is not None:
        try:
            check_output(option, path, create_parent=True)
        except ParameterError as exc:
            raise parameter_error(exc) from None


def _table(verdicts: list, title: str) -> Table:
    t = Table(title=title, title_justify="left")
    for col in ("workload", "baseline ratio", "now", "change", "tolerance", "p (1-sided)",
                "status"):  # fmt: skip
        t.add_column(col)
    style = {"ok": "green", "regression": "bold red", "improvement": "cyan",
             "unconfirmed": "yellow"}  # fmt: skip
    for v in verdicts:
        change = f"{v.change:.3f}x" + (
            f" (re-run {v.confirm_change:.3f}x)" if v.confirm_change is not None else ""
        )
        t.add_row(
            v.name,
            f"{v.baseline_ratio:.3f}",
            f"{v.current_ratio:.3f}",
            change,
            f"±{v.tolerance_factor:.3f}x",
            f"{v.p_value:.2g}",
            f"[{style[v.status]}]{v.status}[/]",
        )
    return t


@gate_app.command("check")
def gate_check(
    baseline: BaselineOpt = None,
    only: OnlyOpt = None,
    inject: InjectOpt = None,
    beside: NeighbourOpt = "none",
    if_missing: Annotated[str, typer.Option(
        "--if-missing", help="No baseline for this machine's fingerprint: `fail` (exit 2) or "
        "`measure` one now and gate against it (CI on a new machine; says so loudly).")
    ] = "fail",
    json_out: Annotated[Path | None, typer.Option("--json", help="Write verdicts here.")] = None,
    update_baseline: Annotated[
        bool,
        typer.Option(
            "--update-baseline",
            help="Accept the current state: re-measure "
            "the A/A baseline and write it instead of gating.",
        ),
    ] = False,
) -> None:
    """Gate same-run ratios against the baseline; exit 1 on a confirmed regression.

    Exit 0 when no regression is confirmed, 1 when one is, 2 when the baseline is
    missing, damaged, meaningless or of another machine fingerprint (checked
    before anything is measured) or the usage is bad. --json writes the
    verdicts (its folder is created if missing).
    """
    if update_baseline:
        from cnnbench.reports.cli.gate_trials import gate_baseline

        gate_baseline(out=baseline)
        return
    injected = _parse_inject(inject)
    _choice("--neighbour", beside, NEIGHBOUR_KINDS)
    _choice("--if-missing", if_missing, IF_MISSING)
    _output("--json", json_out)
    data, baseline = _load(baseline, if_missing)
    names = _check_names(only, data)
    from cnnbench.bench.gate_aa import Baseline
    from cnnbench.bench.gate_suite import run_gate

    base = Baseline.from_json(data)
    verdicts = run_gate(base, names, inject=injected, beside=beside,
                        progress=lambda n: err_console.print(f"  measuring {n}"))  # fmt: skip
    console.print(_table(verdicts, f"within-run gate vs {baseline} ({base.created})"
                         + ("" if beside == "none" else f", beside a {beside} neighbour")))
    if json_out is not None:
        write_json_atomic(json_out, [v.to_json() for v in verdicts])
    bad = [v for v in verdicts if v.status == "regression"]
    if bad:
        for v in bad:
            console.print(
                f"[bold red]regression[/] {v.name}: {v.change:.2f}x its baseline ratio "
                f"(re-run {v.confirm_change:.2f}x, p={v.p_value:.2g}); reproduce: "
                f"cnnbench gate check --only {v.name}",
                soft_wrap=True,
            )
        console.print("intended? accept it with `cnnbench gate check --update-baseline`")
        raise typer.Exit(EXIT_FAILED)
    console.print(f"gate passed: no confirmed regression in {len(verdicts)} workloads")
    raise typer.Exit(EXIT_OK)


# the other gate commands register on gate_app: `gate baseline` and `gate trials`, the
# commit-vs-commit gate (`gate asv`, `gate asv-aa`), the instruction-count gate (`gate counts`)
import cnnbench.reports.cli.gate_asv  # noqa: E402
import cnnbench.reports.cli.gate_counts  # noqa: E402
import cnnbench.reports.cli.gate_trials  # noqa: E402, F401
