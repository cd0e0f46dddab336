"""The report's activation league table: what `cnnbench league --json` wrote, one row per
activation, sortable by any column (click its header)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from cnnbench.bench.results_io import ResultsFileError
from cnnbench.reports.render import Section, Table

if TYPE_CHECKING:
    from cnnbench.reports.sections import ReportInputs

LEAGUE_COMMAND = "cnnbench league --time --train --json reports/out/league.json"


def load_league(path) -> dict:
    """The league JSON, checked for what the section reads (ResultsFileError otherwise)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsFileError(path, f"not a league table ({exc})") from None
    from cnnbench.reports.cli.league import LEAGUE_SCHEMA

    if not isinstance(data, dict) or data.get("schema") != LEAGUE_SCHEMA or not isinstance(
            data.get("rows"), list) or not isinstance(data.get("sigma_b"), int | float):
        raise ResultsFileError(path, f"not a league table of schema {LEAGUE_SCHEMA} (run "
                               f"`{LEAGUE_COMMAND}`)")
    need = ("activation", "user", "slope_at_0_plus", "gain_forward", "gain_torch",
            "edge_sigma_w", "depth_gradient_xavier", "phase_xavier", "depth_gradient_kaiming",
            "phase_kaiming")  # fmt: skip
    for i, row in enumerate(data["rows"]):
        missing = [k for k in need if not isinstance(row, dict) or k not in row]
        if missing:
            raise ResultsFileError(path, f"row {i} lacks {', '.join(missing)}")
    return data


def league_section(inputs: ReportInputs) -> Section:
    path = inputs.league_json
    if not path.exists():
        return Section("league", "Activation league table", LEAGUE_COMMAND,
                       missing=(f"no league table in {path}: run `{LEAGUE_COMMAND}`",))
    from cnnbench.reports.cli.league import league_table_rows

    data = load_league(path)
    cols, rows = league_table_rows(data)
    parts = [f"Every activation the suite knows, built-in and plugged in, from {path}, written "
             f"by `{data.get('command', 'cnnbench league')}`. Each row is reproduced by "
             f"`cnnbench activation NAME --sigma-b {data['sigma_b']:g}` (with --time and "
             "--train for its measured columns). gain fwd: the weight gain (weights "
             "N(0, gain²/fan_in)) that keeps E[h²] at 1; edge σ_w: χ₁ = 1 at the stated σ_b "
             "(— where the q-map diverges first: see the activation's dossier); ξ_∇: the "
             "gradient depth scale 1/|ln χ₁| at σ_b = 0, σ_w = 1 (Xavier) and √2 (Kaiming)."]
    if "timing_how" in data:
        parts.append(f"Timing: {data['timing_how']}; all rows in one run, side by side.")
    if "train_how" in data:
        parts.append(f"Trainability: {data['train_how']}.")
    table = Table("activation league table (click a column header to sort)", tuple(cols),
                  tuple(rows))
    return Section("league", "Activation league table", LEAGUE_COMMAND, tables=(table,),
                   note=" ".join(parts))
