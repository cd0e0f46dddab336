"""Join results files written by shards (``--shard i/N``) or by several machines.

Check results (``check --json``): the union of the claims, in the registry's
order (so the merged shards of a run read like the whole run). A claim in two
files with the same verdict is kept once; with different verdicts it is
refused, naming both files: that is two runs that disagree, not shards.

Bench results (``bench --out``): every complete record of every file, file
after file. Each run keeps its own header (its machine, its ceilings), so a
merged file can hold several machines, which ``cnnbench report`` shows side by
side. A run found in two files (the same file given twice) is refused.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from cnnbench.bench.loaders import load_check_results
from cnnbench.bench.loaders_bench import load_bench_results
from cnnbench.bench.results_io import ResultsFileError


def merge_check(paths: Sequence[Path], order: Sequence[str] = ()) -> tuple[list[dict], list[str]]:
    """The union of the claims in ``paths``; notes about repeats. ``order``: claim ids in the
    registry's order (ids not in it follow, in the order read)."""
    rows: dict[str, dict] = {}
    source: dict[str, Path] = {}
    notes: list[str] = []
    for path in paths:
        for row in load_check_results(path):
            cid = row["id"]
            if cid not in rows:
                rows[cid], source[cid] = row, Path(path)
            elif rows[cid]["verdict"] != row["verdict"]:
                raise ResultsFileError(path, f"gives claim {cid!r} the verdict "
                                       f"{row['verdict']!r}, {source[cid]} gives "
                                       f"{rows[cid]['verdict']!r}", key="id",
                                       expected="shards of one run (each claim in one file), "
                                       "or runs that agree")  # fmt: skip
            else:
                notes.append(f"{cid} is in {source[cid]} and {path} (same verdict): kept once")
    rank = {cid: i for i, cid in enumerate(order)}
    ids = sorted(rows, key=lambda c: (rank.get(c, len(rank)), list(rows).index(c)))
    return [rows[c] for c in ids], notes


def merge_bench(paths: Sequence[Path]) -> tuple[list[dict], list[str]]:
    """Every complete record of ``paths`` in order; notes (torn last lines left out)."""
    records: list[dict] = []
    runs: dict[str, Path] = {}
    notes: list[str] = []
    for path in paths:
        found = load_bench_results(path)
        if found.torn_line is not None:
            notes.append(f"{path}: line {found.torn_line} is torn (an interrupted write) and "
                         "left out")  # fmt: skip
        mine = {h["run_id"] for h in found.headers}
        for run in sorted(mine & set(runs)):
            raise ResultsFileError(path, f"holds run {run!r}, which {runs[run]} holds too",
                                   key="run_id", expected="each run in one file (was a file "
                                   "given twice?)")  # fmt: skip
        runs.update(dict.fromkeys(mine, Path(path)))
        records.extend(found.records)
    return records, notes


def jsonl_text(records: Sequence[dict]) -> str:
    """Records as JSON Lines, as the sweep writes them (``"type"`` first, strict JSON)."""
    return "".join(json.dumps(r, allow_nan=False) + "\n" for r in records)
