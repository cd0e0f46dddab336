"""Build the report's sections from results files and the analysis modules.

Each builder returns a :class:`~cnnbench.reports.render.Section` naming the command that
reproduces it; when its inputs are missing it says so instead of inventing data.
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cnnbench.bench.asv_archive import ARCHIVE
from cnnbench.bench.loaders import load_check_results
from cnnbench.bench.loaders_bench import load_bench_results
from cnnbench.bench.machine import cpu_model
from cnnbench.reports import plots, plots_timing
from cnnbench.reports.figures import figure_data_uri
from cnnbench.reports.history_section import history_section
from cnnbench.reports.league_section import league_section
from cnnbench.reports.machines_section import machine_records, machines_section
from cnnbench.reports.render import Figure, Section, Table
from cnnbench.reports.training_section import training_section
from cnnbench.reports.user_sections import networks_section, user_claims_section


@dataclass(frozen=True)
class ReportInputs:
    check_json: Path
    bench_jsonl: Path
    train_json: Path
    asv_results: Path  # asv's results_dir (this checkout's runs)
    asv_archive: Path = ARCHIVE  # the committed history (bench/asv_history)
    report_dir: Path = Path("reports/out")  # where the HTML goes: links are relative to it
    league_json: Path = Path("reports/out/league.json")  # `cnnbench league --json`
    user_check: Path = Path("reports/out/user-claims.json")  # cnnbench check --claims --json
    networks: Path = Path("reports/out/networks")  # cnnbench network --out FOLDER/NAME.json


def build_sections(
    inputs: ReportInputs, progress: Callable[[str], None] = lambda _: None
) -> list[Section]:
    """Every section after the verdict table, in page order."""
    builders: list[tuple[str, Callable[[ReportInputs], Section]]] = [
        ("theory figures", theory_section),
        ("training", training_section),
        ("league", league_section),
        ("your claims", lambda i: user_claims_section(i.user_check)),
        ("your networks", lambda i: networks_section(i.networks)),
        ("timings", timing_section),
        ("machines", lambda i: machines_section(read_bench(i.bench_jsonl)[1], str(i.bench_jsonl))),
        ("history", history_section),
        ("machine", machine_section),
    ]
    sections = []
    for name, build in builders:
        progress(name)
        sections.append(build(inputs))
    return sections


# Activations drawn with their Taylor polynomials: the texts' own plus the
# common peers; piecewise ones use their one-sided expansions at 0.
TAYLOR_FIGURE_ACTIVATIONS = ["sigmoid", "tanh", "sigmoid_star", "relu", "leaky_relu_xa",
                             "softplus", "elu", "gelu", "silu"]  # fmt: skip


def theory_section(inputs: ReportInputs) -> Section:
    figs = []
    frame = plots.activation_taylor_frame(TAYLOR_FIGURE_ACTIVATIONS)
    figs.append(Figure(figure_data_uri(plots.activation_taylor_figure(frame)), (
        "Each activation (solid) with its Taylor polynomials of order 1, 3 and 5 at 0 "
        "(for piecewise functions, the one-sided expansion on each side). The order-1 "
        "line is the slope at 0 that 003 §5.7 ties to trainability: 1 for tanh and "
        "Sigmoid*, 1/4 for the sigmoid. Reproduce one: `cnnbench series sigmoid --order 5`."
    )))  # fmt: skip
    md = plots.maxdepth_frame(kernel=3, m=5, ts=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    figs.append(Figure(figure_data_uri(plots.maxdepth_figure(md)), (
        "Maximum-depth design problem (003 §4.3), k = 3, image z = 2^(m-1)·k/t with m = 5: "
        "the optimal total depth from linprog (LP relaxation) and milp (a_i >= 1 integers) "
        "against the text's closed form (4.5)-(4.6) and the closed form re-derived with sympy, "
        "for the printed constraints (4.3)-(4.4) and the ones derived from the definitions. "
        "Reproduce a point: "
        "`cnnbench maxdepth --image 60 --kernel 3 --t 0.8 --constraints derived`."
    )))  # fmt: skip
    vf = plots.variance_frame()
    figs.append(Figure(figure_data_uri(plots.variance_figure(vf)), (
        "Variance propagation through 30-layer, width-128 MLPs (003 §5.4): the per-layer "
        "forward second moment and backward gradient variance predicted by the Gaussian-moment "
        "maps (scipy quadrature) against Monte Carlo over 16 torch networks, with tolerances "
        "derived from the sample size. 'MC uninformative': the draws scatter by more than half "
        "the prediction, so agreement there means little. Reproduce one panel: "
        "`cnnbench variance --activation sigmoid --init xavier_normal --depth 30 --width 128 --mc`."
    )))  # fmt: skip
    missing = []
    evidence = _claim_evidence(inputs.check_json, TRAINING_CLAIM)
    if evidence and evidence.get("curves"):
        tf = plots.training_frame(evidence)
        figs.append(Figure(figure_data_uri(
            plots.training_figure(tf, evidence.get("log10_grad_norms_init") or {})), (
            "The texts' training claim put to the test (003 §5.5, Table 5.3) on scikit-learn's "
            "8x8 digits: deep plain networks under Xavier initialisation, test accuracy and "
            "training loss per epoch (mean and 95% t-interval over seeds), and per-layer "
            "gradient norms at initialisation. " + str(evidence.get("caveat", "")) +
            f" From the evidence of {TRAINING_CLAIM}; reproduce: `cnnbench train`."
        )))  # fmt: skip
    else:
        missing.append(f"no training curves in {inputs.check_json}: run `cnnbench check --json "
                       f"{inputs.check_json}` (the training claims are slow)")  # fmt: skip
    return Section("theory", "Theory figures", "cnnbench report (figures computed from analysis/)",
                   figures=tuple(figs), missing=tuple(missing))  # fmt: skip


TRAINING_CLAIM = "training.sigmoid-initialisation-not-saturation"


def _claim_evidence(check_json: Path, claim_id: str) -> dict | None:
    if not check_json.exists():
        return None
    for row in load_check_results(check_json):
        if row["id"] == claim_id and row["verdict"] != "error":
            return row["evidence"]
    return None


BENCH_COMMAND = "cnnbench bench --profile short --out reports/out/bench.jsonl --force"


def read_bench(path: Path) -> tuple[dict | None, list[dict]]:
    """Header and records of a `cnnbench bench` results file (missing file: no records),
    validated by :func:`cnnbench.bench.loaders_bench.load_bench_results` (a torn last line is left
    out; anything else damaged raises ResultsFileError)."""
    if not path.exists():
        return None, []
    found = load_bench_results(path)
    return (found.headers[-1] if found.headers else None), list(found.records)


def one_machine(header: dict | None, records: list[dict]) -> tuple[list[dict], str]:
    """The records of the last run's machine (a merged file holds several: the section
    across machines compares them), and a note naming it when others were left out."""
    groups = machine_records(records)
    if header is None or len(groups) < 2:
        return records, ""
    name = next(m for m, rs in groups.items() if any(r is header for r in rs))
    return groups[name], f" Machine {name} only; {len(groups) - 1} other(s) under Across machines."


def timing_section(inputs: ReportInputs) -> Section:
    header, records = read_bench(inputs.bench_jsonl)
    records, which = one_machine(header, records)
    df = plots_timing.bench_frame(records)
    if df.empty:
        return Section(
            "timings",
            "Timings",
            BENCH_COMMAND,
            missing=(f"no benchmark results in {inputs.bench_jsonl}: run `{BENCH_COMMAND}`",),
        )
    figs, missing = [], []

    def add(make, caption):
        figs.append(Figure(figure_data_uri(make()), caption))

    add(
        lambda: plots_timing.activation_time_figure(df),
        "Median time per call of every activation (eager, as a user calls it), by dtype, "
        "direction and size.",
    )
    add(
        lambda: plots_timing.activation_roofline_figure(df),
        "The same timings as a percentage of the machine's measured limit (memory bandwidth "
        "of the level the working set lives in, or matrix FLOP/s), from the fewest bytes "
        "each op must move.",
    )
    ratios = plots_timing.implementation_ratio_frame(df)
    if ratios.empty:
        missing.append("no alternative implementations in these results")
    else:
        add(
            lambda: plots_timing.implementation_figure(ratios),
            "Implementations side by side: time relative to the eager form of the same op "
            "(below 1: faster), for the texts' custom activations (Sigmoid*, regularized ReLU, "
            "RReLU train/eval) and fused variants.",
        )
    speed = plots_timing.layout_speedup_frame(df)
    if speed.empty:
        missing.append("no convolution results with both layouts")
    else:
        add(
            lambda: plots_timing.layout_heatmap(speed),
            "NCHW vs channels_last: NCHW time over channels_last time per convolution layer of "
            "the texts' networks and sweeps (above 1: channels_last faster).",
        )
    add(
        lambda: plots_timing.roofline_figure(df, (header or {}).get("ceilings") or {}),
        "Roofline: every workload at its arithmetic intensity and achieved rate, under the "
        "ceilings measured in the same run.",
    )
    suspect = df[df.suspect]
    table = Table(
        "results above a measured limit (flagged suspect, not wins)",
        ("workload", "percent of limit"),
        tuple((k, f"{100 * f:.0f}%") for k, f in zip(suspect.key, suspect.fraction, strict=True)),
    )
    return Section(
        "timings",
        "Timings",
        BENCH_COMMAND,
        figures=tuple(figs),
        tables=(table,) if len(suspect) else (),
        missing=tuple(missing),
        note=f"{len(df)} workloads from {inputs.bench_jsonl}.{which}",
    )


def machine_section(inputs: ReportInputs) -> Section:
    """The machine the results came from: CPU/GPU, library versions, flags."""
    import numpy
    import scipy
    import sympy
    import torch

    rows = [
        ("python", platform.python_version()),
        ("platform", platform.platform()),
        ("processor", cpu_model()),
        ("torch", torch.__version__),
        ("cuda available", str(torch.cuda.is_available())),
        ("intra-op threads", str(torch.get_num_threads())),
        (
            "numpy / scipy / sympy",
            f"{numpy.__version__} / {scipy.__version__} / {sympy.__version__}",
        ),
    ]
    tables = [Table("this report was rendered on", ("what", "value"), tuple(rows))]
    header, _ = read_bench(inputs.bench_jsonl)
    if header is not None:
        ceil = header.get("ceilings") or {}
        crow = [
            (f"memory bandwidth ({lvl})", f"{v / 1e9:.1f} GB/s")
            for lvl, v in (ceil.get("bandwidth") or {}).items()
        ]
        crow += [
            (f"matrix throughput ({dt})", f"{v / 1e9:.1f} GFLOP/s")
            for dt, v in (ceil.get("flops") or {}).items()
        ]
        tables.append(
            Table(
                f"ceilings measured by the bench run {header.get('run_id')} "
                f"({header.get('started')})",
                ("limit", "value"),
                tuple(crow),
            )
        )
        flags = (header.get("machine") or {}).get("flags") or {}
        tables.append(
            Table(
                "flags recorded with the bench run",
                ("flag", "value"),
                tuple((k, str(v)) for k, v in flags.items()),
            )
        )
    return Section(
        "machine", "The machine", f"{BENCH_COMMAND}; cnnbench report", tables=tuple(tables)
    )
