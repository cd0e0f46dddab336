"""Entry point of the asv gate (``python -m bench.asv_gate``) and A/A recording.

``gate BASE HEAD`` runs :func:`bench.asv_gate.run_gate` and prints asv's
comparison table, the decision and the commands run; its exit code is the
gate's (0 pass, 1 regression confirmed, 2 broken). ``aa A B`` measures two
commits whose timed code is identical (e.g. a docs-only commit) and appends
the observed ratios to ``bench/asv_gate_aa.json``; the gate's factor is
derived from every A/A run stored there (:func:`bench.asv_gate.aa_factor`).
The lead wires ``cnnbench gate asv`` onto :func:`main`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import re
import sys
from pathlib import Path

from analysis._validation import ParameterError
from bench.asv_gate import (
    AA_FILE,
    DEFAULT_BENCH,
    DEFAULT_FACTOR,
    ROOT,
    GateResult,
    Runner,
    _compare_cmd,
    _continuous_cmd,
    load_factor,
    parse_compare,
    run_gate,
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
        "command": "python -m bench.asv_gate aa " + " ".join(sys.argv[2:] or [base, head]),
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.asv_gate", description=__doc__.split("\n")[0]
    )
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name, helptext in (("gate", "gate HEAD against BASE (exit 0/1/2)"),
                           ("aa", "record an A/A pair's ratios for the factor")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("base")
        p.add_argument("head")
        p.add_argument("--bench", default=DEFAULT_BENCH, help="asv -b regex of gated benchmarks")
        p.add_argument("--machine", default=None)
        p.add_argument("--config", type=Path, default=ROOT / "asv.conf.json")
        if name == "gate":
            p.add_argument("--factor", type=float, default=None,
                           help="override the factor derived from A/A data")
            p.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "aa":
            run = record_aa(args.base, args.head, bench=args.bench, machine=args.machine,
                            config=args.config)
            factor, source = load_factor()
            print(f"recorded {len(run['ratios'])} ratios; gate factor now {factor} ({source})")
            return 0
        factor, source = (args.factor, "--factor") if args.factor else load_factor()
        result = run_gate(args.base, args.head, factor=factor, bench=args.bench,
                          machine=args.machine, config=args.config)
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(format_result(result, source))
    return result.exit_code
