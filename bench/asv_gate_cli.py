"""A/A recording and result formatting for the asv gate (``cnnbench gate asv``).

``gate BASE HEAD`` runs :func:`cnnbench.bench.asv_gate.run_gate` and prints asv's
comparison table, the decision and the commands run; its exit code is the
gate's (0 pass, 1 regression confirmed, 2 broken). ``aa A B`` measures two
commits whose timed code is identical (e.g. a docs-only commit) and appends
the observed ratios to ``bench/asv_gate_aa.json``; the gate's factor is
derived from every A/A run stored there (:func:`cnnbench.bench.asv_gate.aa_factor`).
The command line lives in ``reports/cli/gate.py`` (bench/ prints nothing).
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import re
import sys
from pathlib import Path

from cnnbench.analysis._validation import ParameterError
from cnnbench.bench.asv_gate import (
    AA_FILE,
    DEFAULT_BENCH,
    DEFAULT_FACTOR,
    ROOT,
    GateResult,
    Runner,
    _compare_cmd,
    _continuous_cmd,
    parse_compare,
    subprocess_runner,
)


def record_aa(
    base: str,
    head: str,
    *,
    bench: str = DEFAULT_BENCH,
    machine: str | None = None,
    config: Path = ROOT / "asv.conf.json",
    path: Path = AA_FILE,
    runner: Runner = subprocess_runner,
) -> dict:
    """Run ``asv continuous`` on an A/A pair and append its ratios to ``path``."""
    cwd = Path(config).resolve().parent
    cont = _continuous_cmd(config, base, head, DEFAULT_FACTOR, bench, machine)
    rc, _ = runner(cont, cwd)
    _, table = runner(_compare_cmd(config, base, head, DEFAULT_FACTOR, machine), cwd)
    rows = parse_compare(table)
    failed = [r.benchmark for r in rows if r.failed]
    if rc == 2 or failed or not rows:
        raise ParameterError("base/head", f"{base}/{head}",
                             f"must both run every benchmark (asv exited {rc}; failed: {failed})")
    run = {
        "base": base, "head": head,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "host": platform.node(), "machine": machine,
        "command": "cnnbench gate asv-aa " + " ".join(sys.argv[2:] or [base, head]),
        # only the gated benchmarks that ran on both sides (compare lists every
        # benchmark with stored results, n/a combinations included)
        "ratios": {r.benchmark: r.ratio for r in rows
                   if r.ratio is not None and re.search(bench, r.benchmark)},
    }
    data = json.loads(Path(path).read_text()) if Path(path).is_file() else {
        "about": "A/A runs of `asv continuous` (same timed code on both sides); the asv "
                 "gate's factor is the widest ratio seen here times a margin.",
        "runs": [],
    }
    data["runs"].append(run)
    Path(path).write_text(json.dumps(data, indent=2) + "\n")
    return run


def format_result(r: GateResult, factor_source: str) -> str:
    lines = [r.table.rstrip(), ""]
    lines.append(f"factor {r.factor} ({factor_source}); base {r.base}, head {r.head}")
    for row in r.flagged:
        state = "CONFIRMED" if row in r.confirmed else "not confirmed"
        lines.append(f"  flagged: {row.benchmark}: {row.before} -> {row.after} "
                     f"(ratio {row.ratio}{', not significant' if row.insignificant else ''}); "
                     f"re-run: {state}")
    for row in r.broken:
        lines.append(f"  broken: {row.benchmark}: before {row.before}, after {row.after}")
    lines.append(f"{r.decision.outcome.upper()} (exit {r.exit_code}): {r.decision.reason}")
    lines.append("reproduce with:")
    lines.extend(f"  {c}" for c in r.commands)
    return "\n".join(lines)
