"""The report's training section: what `cnnbench train --json` wrote, read and shown.

issue 15: ``report --train`` was never read (the page was the same with a
valid, a corrupt or a missing file). The file is now validated by
:func:`cnnbench.bench.loaders.load_training_results` (a damaged one stops the report
with exit 2) and shown: a table per activation and the curves.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from cnnbench.bench.loaders import load_training_results
from cnnbench.reports import plots
from cnnbench.reports.figures import figure_data_uri
from cnnbench.reports.render import Figure, Section, Table

if TYPE_CHECKING:
    from cnnbench.reports.sections import ReportInputs

TRAIN_COMMAND = "cnnbench train --json reports/out/train.json"


def training_section(inputs: ReportInputs) -> Section:
    path = inputs.train_json
    if not path.exists():
        return Section("training", "Training experiment", TRAIN_COMMAND,
                       missing=(f"no training results in {path}: run "
                                f"`cnnbench train --json {path}`",))  # fmt: skip
    data = load_training_results(path)
    cfg = data["config"]
    rows = []
    for name in cfg["activations"]:
        s = data["summaries"][name]
        ci = s["final_acc"]
        rows.append((name, s["status"], _f(ci["mean"]), f"[{_f(ci['low'])}, {_f(ci['high'])}]",
                     _f(s.get("log10_grad_first_hidden"), 2),
                     _f(s.get("log10_grad_last_hidden"), 2)))  # fmt: skip
    table = Table("final test accuracy (mean and 95% t-interval over seeds) and the first and "
                  "last hidden layers' log10 gradient norm at initialisation",
                  ("activation", "status", "final acc", "95% CI", "lg|∇W1|", "lg|∇W_L|"),
                  tuple(rows))  # fmt: skip
    curves = {arm: {f: v for f, v in fields.items() if f in ("test_acc", "train_loss")}
              for arm, fields in data["curves"].items()}  # fmt: skip
    frame = plots.training_frame({"curves": curves})
    figs = ()
    if not frame.empty:
        figs = (Figure(figure_data_uri(plots.training_figure(frame, _grad_profiles(data))), (
            f"Test accuracy and training loss per epoch (mean and 95% t-interval over "
            f"{cfg['seeds']} seeds), and each layer's gradient norm at initialisation, from "
            f"{path}.")),)  # fmt: skip
    note = (f"Setting {data['setting']}: a {cfg['depth']}-layer MLP on 8x8 digits, "
            f"{cfg['epochs']} epochs, {cfg['seeds']} seeds; chance (the most frequent class) "
            f"{_f(data['chance'])}. From {path}, written by "
            f"`{data.get('command', 'cnnbench train')}`.")
    return Section("training", "Training experiment", TRAIN_COMMAND, figures=figs,
                   tables=(table,), note=note)  # fmt: skip


def _grad_profiles(data: dict) -> dict[str, list[float | None]]:
    """Per activation: mean over seeds of log10 of each layer's gradient norm at init."""
    out: dict[str, list[float | None]] = {}
    for name in data["config"]["activations"]:
        runs = [r["grad_norms_init"] for r in data["runs"] if r["activation"] == name]
        if not runs:
            continue
        layers = zip(*runs, strict=False)
        out[name] = [None if min(v) <= 0 else sum(math.log10(x) for x in v) / len(v)
                     for v in layers]  # fmt: skip
    return out


def _f(v: float | None, digits: int = 3) -> str:
    return "—" if v is None else f"{v:.{digits}f}"
