"""Per-benchmark history over commits from asv's results, and the steps asv flags.

Reads asv's result files (one per machine, commit and environment) from the
committed archive (``bench/asv_history``, see :mod:`cnnbench.bench.asv_archive`) and
from asv's own ``results_dir``, keeps only results whose benchmark code is the
current one (as ``asv publish`` does, by each benchmark's version hash), and
runs asv's own step detection (``asv.step_detect``, the code behind ``asv
publish``'s Regressions page) on each series, with the threshold from
``asv.conf.json``.
"""

from __future__ import annotations

import filecmp
import itertools
import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from cnnbench.bench.loaders import parse_json, read_text
from cnnbench.bench.loaders_bench import load_asv_result
from cnnbench.bench.results_io import ResultsFileError

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_THRESHOLD = 0.05  # asv's default `regressions_thresholds`
SERIES = ["machine", "env", "benchmark", "params"]  # one line of history


def result_paths(results_dir: Path) -> list[Path]:
    """The asv result files of one results folder (``<machine>/<file>.json``, not machine.json)."""
    return [p for p in sorted(Path(results_dir).glob("*/*.json")) if p.name != "machine.json"]


def _files(results_dirs: Sequence[Path]) -> dict[tuple[str, str], tuple[Path, Path]]:
    """(machine, file name) -> (file, the folder it came from).

    A later folder's copy wins unless it is byte-identical to the earlier one
    (a restored copy), so that the points keep the folder they came from.
    """
    files = {}
    for d in results_dirs:
        for path in result_paths(d):
            key = (path.parent.name, path.name)
            if key in files and filecmp.cmp(files[key][0], path, shallow=False):
                continue
            files[key] = (path, Path(d))
    return files


def asv_history(results_dirs: Path | Sequence[Path]) -> pd.DataFrame:
    """Tidy rows: machine, env, benchmark, params, commit, date, value, version, source.

    ``results_dirs``: one asv results folder or several; when two hold the same
    file (machine, commit, environment), the later folder's copy is used.
    """
    if isinstance(results_dirs, str | Path):
        results_dirs = [results_dirs]
    rows = []
    for path, source in _files(results_dirs).values():
        data = load_asv_result(path)  # a damaged file raises ResultsFileError naming it
        columns = data["result_columns"]
        ri, pi = columns.index("result"), columns.index("params")
        vi = columns.index("version") if "version" in columns else None
        for bench, entry in data.get("results", {}).items():
            values, params = entry[ri], entry[pi]
            if values is None:
                continue
            combos = list(itertools.product(*params)) if params else [()]
            for combo, value in zip(combos, values, strict=False):
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    continue
                rows.append({
                    "machine": path.parent.name, "env": data.get("env_name", ""),
                    "benchmark": bench,
                    "params": ", ".join(str(p).strip("'") for p in combo),
                    "commit": data["commit_hash"][:8], "date": data.get("date", 0),
                    "value": float(value),
                    "version": entry[vi] if vi is not None else None, "source": str(source),
                })  # fmt: skip
    return pd.DataFrame(rows)


def benchmark_descriptions(benchmarks_json: Path) -> dict[str, dict]:
    """asv's ``benchmarks.json``: benchmark name -> its description (version, unit, ...)."""
    what = "asv's benchmarks.json (written by `asv run` or `cnnbench asv-site publish`)"
    path = Path(benchmarks_json)
    data = parse_json(read_text(path, what=what), path, what=what, allow_nan=True)
    if not isinstance(data, dict):
        raise ResultsFileError(path, "is not a JSON object", expected=what)
    return {name: b for name, b in data.items() if isinstance(b, dict)}


def units(described: dict[str, dict]) -> dict[str, str]:
    """Benchmark name -> unit ("seconds", or a ``track_*`` benchmark's own)."""
    return {name: b["unit"] for name, b in described.items() if "unit" in b}


def current_only(history: pd.DataFrame, described: dict[str, dict]) -> tuple[pd.DataFrame, int]:
    """Rows whose benchmark still exists with the same version, and how many were dropped.

    asv hashes each benchmark's source into its version; a result of another
    version measured different code and would show as a false step.
    """
    if history.empty:
        return history, 0
    versions = {name: b.get("version") for name, b in described.items()}
    keep = history["benchmark"].map(versions) == history["version"]
    return history[keep].reset_index(drop=True), int((~keep).sum())


def regressions(history: pd.DataFrame, threshold: float = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Steps asv's detector reports, per series (benchmark x params x machine)."""
    from asv.step_detect import detect_regressions, detect_steps

    out = []
    if history.empty:
        return pd.DataFrame(out)
    for (machine, _env, bench, params), g in history.groupby(SERIES):
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


def conf_threshold(conf_path: Path = ROOT / "asv.conf.json") -> float:
    """The ``regressions_thresholds`` default of an asv config, read by asv's own loader."""
    from asv.config import Config
    from asv.util import UserError

    try:
        thresholds = Config.load(str(conf_path)).regressions_thresholds
    except (OSError, ValueError, UserError):
        return DEFAULT_THRESHOLD
    return float(thresholds.get(".*", DEFAULT_THRESHOLD))
