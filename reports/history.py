"""Per-benchmark history over commits from asv's results, and the steps asv flags.

Reads the JSON files under asv's ``results_dir`` (one per machine, commit and
environment) and runs asv's own step detection (``asv.step_detect``, the code
behind ``asv publish``'s Regressions page) on each series, with the threshold
from ``asv.conf.json``.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pandas as pd

DEFAULT_THRESHOLD = 0.05  # asv's default `regressions_thresholds`


def asv_history(results_dir: Path) -> pd.DataFrame:
    """Tidy rows: machine, benchmark, params, commit, date, value (seconds or unit)."""
    rows = []
    for path in sorted(results_dir.glob("*/*.json")):
        if path.name == "machine.json":
            continue
        data = json.loads(path.read_text())
        columns = data.get("result_columns") or []
        if "result" not in columns or "params" not in columns:
            continue
        ri, pi = columns.index("result"), columns.index("params")
        for bench, entry in data.get("results", {}).items():
            values, params = entry[ri], entry[pi]
            if values is None:
                continue
            combos = list(itertools.product(*params)) if params else [()]
            for combo, value in zip(combos, values, strict=False):
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    continue
                rows.append({
                    "machine": path.parent.name, "benchmark": bench,
                    "params": ", ".join(str(p).strip("'") for p in combo),
                    "commit": data["commit_hash"][:8], "date": data.get("date", 0),
                    "value": float(value),
                })  # fmt: skip
    return pd.DataFrame(rows)


def regressions(history: pd.DataFrame, threshold: float = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Steps asv's detector reports, per series (benchmark x params x machine)."""
    from asv.step_detect import detect_regressions, detect_steps

    out = []
    if history.empty:
        return pd.DataFrame(out)
    for (machine, bench, params), g in history.groupby(["machine", "benchmark", "params"]):
        g = g.sort_values("date")
        if len(g) < 2:
            continue
        steps = detect_steps(list(g["value"]))
        _, _, positions = detect_regressions(steps, threshold=threshold)
        commits = list(g["commit"])
        for before, after, v_before, v_after in positions or []:
            out.append({
                "machine": machine, "benchmark": bench, "params": params,
                "last good": commits[before - 1], "first bad": commits[after],
                "before": v_before, "after": v_after, "factor": v_after / v_before,
            })  # fmt: skip
    return pd.DataFrame(out)


def conf_threshold(conf_path: Path = Path("asv.conf.json")) -> float:
    """The ``regressions_thresholds`` default from asv.conf.json (asv allows // comments)."""
    try:
        text = "\n".join(line.split("//", 1)[0] if line.lstrip().startswith("//") else line
                         for line in conf_path.read_text().splitlines())  # fmt: skip
        return float(
            json.loads(text).get("regressions_thresholds", {}).get(".*", DEFAULT_THRESHOLD)
        )
    except (OSError, ValueError):
        return DEFAULT_THRESHOLD
