"""Loaders of the timing files: bench results (JSON Lines), the gates' baselines, asv results.

A bench results file (``cnnbench bench --out``) is JSON Lines: a ``header``
record per run, then ``result``, ``error`` and ``ceilings`` records of that
run (see :mod:`cnnbench.bench.sweep`). Every line ends in a newline; a last line
without one is what a crash mid-write leaves (a *torn* line): readers leave it
out and say so, ``bench --resume`` cuts it off and re-runs its workload. Any
other bad line is an error naming the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cnnbench.bench.loaders import (
    decode,
    dict_of,
    is_bool,
    is_dict,
    is_int,
    is_list,
    is_nonempty_str,
    is_nonnegative,
    is_number,
    is_positive,
    is_str,
    list_of,
    optional,
    parse_json,
    read_bytes,
    read_text,
    require,
)
from cnnbench.bench.results_io import ResultsFileError

BENCH_SCHEMA = 1  # the header's "schema" (cnnbench.bench.sweep.SCHEMA)
BENCH_WHAT = "a results file of `cnnbench bench` (JSON Lines, a header record first)"
RECORD_TYPES = ("header", "result", "error", "ceilings")
RECORD_START = b'{"type": "'  # every record we write begins so (json.dumps, "type" first)
CEILINGS = {"device": is_str, "bandwidth": {"dram": is_positive, "cache": is_positive},
            "flops": dict_of(is_positive)}  # fmt: skip
HEADER = {"schema": is_int, "run_id": is_nonempty_str, "profile": is_str, "device": is_str,
          "threads": optional(is_int), "workloads": is_int, "harness": is_dict,
          "machine": {"cpu": is_str, "flags": {"num_threads": is_int}},
          "ceilings": CEILINGS}  # fmt: skip
# Workload.to_json (a test keeps the two in step)
WORKLOAD = {"key": is_nonempty_str, "group": is_str, "op": is_str, "impl": is_str,
            "shape": list_of(is_int), "dtype": is_str, "device": is_str, "layout": is_str,
            "direction": is_str, "alloc": is_str, "case": is_str, "bytes": is_nonnegative,
            "flops": is_nonnegative, "params": is_dict, "working_set": is_nonnegative}  # fmt: skip
RESULT = {"run_id": is_str, "workload": WORKLOAD,
          "measurement": {"median": is_positive, "iqr": is_nonnegative,
                          "samples": list_of(is_positive, nonempty=True)},
          "roofline": {"fraction": is_nonnegative, "suspect": is_bool}}  # fmt: skip
ERROR = {"run_id": is_str, "workload": {"key": is_nonempty_str}, "error": is_str}
CEILINGS_RECORD = {"run_id": is_str, "when": is_str, "ceilings": CEILINGS}
SPECS = {"header": HEADER, "result": RESULT, "error": ERROR, "ceilings": CEILINGS_RECORD}


@dataclass(frozen=True)
class BenchFile:
    """The complete records of a bench results file, and its torn last line if any."""

    path: Path
    records: tuple[dict, ...]
    torn_line: int | None = None  # 1-based number of an unterminated last line (left out)
    complete_bytes: int = 0  # size of the complete lines: truncate here to drop the torn one

    @property
    def headers(self) -> tuple[dict, ...]:
        return tuple(r for r in self.records if r["type"] == "header")

    def done_keys(self) -> set[str]:
        return {r["workload"]["key"] for r in self.records if r["type"] == "result"}


def load_bench_results(path: Path, *, allow_empty: bool = False) -> BenchFile:
    """Every complete record of ``path``, validated; a torn last line is left out.

    ``allow_empty``: a file with no complete line (empty, or only a torn one) is
    returned with no records instead of refused (``--resume`` starts it afresh).
    """
    path = Path(path)
    data = read_bytes(path, what=BENCH_WHAT)
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends in a newline, else the torn last line
    torn = len(lines) + 1 if tail else None
    complete_bytes = len(data) - len(tail)
    if not data.strip() and not allow_empty:
        raise ResultsFileError(path, "is empty", expected=BENCH_WHAT)
    if tail:
        try:  # a torn line may end inside a multi-byte character, but is text before it
            tail.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(tail) - 3:
                decode(tail, path, what=BENCH_WHAT, line=torn)
    if tail and not (tail.startswith(RECORD_START) or RECORD_START.startswith(tail)):
        # what a crash mid-write leaves is the start of one of our records; anything else
        # is not ours, and must never be cut off by --resume
        raise ResultsFileError(path, "does not end in a newline and is not the start of a "
                               "record", line=torn, expected=BENCH_WHAT)  # fmt: skip
    records: list[dict] = []
    runs: set[str] = set()
    for n, raw in enumerate(lines, start=1):
        line = decode(raw, path, what=BENCH_WHAT, line=n)
        if not line.strip():
            continue
        rec = parse_json(line, path, line=n, what="one JSON object per line")
        kind = rec.get("type") if isinstance(rec, dict) else None
        if kind not in RECORD_TYPES:
            raise ResultsFileError(path, f"has a record of type {kind!r}", line=n, key="type",
                                   expected=f"one of {', '.join(RECORD_TYPES)} ({BENCH_WHAT})")
        require(rec, SPECS[kind], path, line=n)
        if kind == "header":
            if rec["schema"] != BENCH_SCHEMA:
                raise ResultsFileError(path, f"is schema {rec['schema']}", line=n, key="schema",
                                       expected=f"{BENCH_SCHEMA} (written by another cnnbench?)")
            runs.add(rec["run_id"])
        elif not records:
            raise ResultsFileError(path, f"starts with a {kind!r} record", line=n,
                                   expected=f"a header record first ({BENCH_WHAT})")
        elif rec["run_id"] not in runs:
            raise ResultsFileError(path, f"belongs to run {rec['run_id']!r}, which has no "
                                   "header above it", line=n, key="run_id",
                                   expected="the run_id of a header earlier in the file")
        records.append(rec)
    if not records and not allow_empty:
        raise ResultsFileError(path, "holds no complete record" + (
            f" (line {torn} is torn: an interrupted write)" if torn else ""),
            expected=BENCH_WHAT)  # fmt: skip
    return BenchFile(path, tuple(records), torn, complete_bytes)


# --- the gate's baseline ---------------------------------------------------------------------

# "schema" of the baseline: 2 added the machine fingerprint (files without "schema" are 1)
GATE_SCHEMA = 2
GATE_WHAT = "a gate baseline written by `cnnbench gate baseline`"
MIN_AA_RUNS = 3  # `gate baseline --aa-runs` at least
MIN_ROUNDS = 6  # the signed-rank test needs 6 paired rounds
GATE_SPEC = {"command": is_str, "created": is_str, "machine": is_dict, "rounds": is_int,
             "fingerprint": {"id": is_nonempty_str, "facts": is_dict},
             "entries": list_of(is_dict, nonempty=True)}  # fmt: skip
ENTRY_SPEC = {"name": is_nonempty_str, "aa_medians": list_of(is_number, nonempty=True)}


def load_gate_baseline(path: Path, known: tuple[str, ...] | None = None) -> dict:
    """The baseline JSON, validated so that a damaged one cannot pass the gate.

    Refused: another schema (version 1 had no fingerprint); no ``fingerprint``
    id; no entries; an entry with fewer than 3 A/A medians or a non-finite
    one; a non-finite or non-positive ``ratio`` or a ``tolerance_factor`` below 1
    (they are stored for readers; the gate recomputes both from the medians);
    an entry twice; a workload the gate does not have (``known``); fewer than 6
    rounds; ``aa_sessions`` (optional) that is not a list of strings, or not one
    per A/A median.
    """
    data = parse_json(read_text(path, what=GATE_WHAT), path, what=GATE_WHAT)
    if isinstance(data, dict) and data.get("schema", 1) != GATE_SCHEMA:
        version = data.get("schema", 1)
        raise ResultsFileError(path, f"is version {version!r}", key="schema",
                               expected=f"{GATE_SCHEMA} (" + ("re-measure it: version 1 had no "
                               "machine fingerprint" if version == 1 else "written by another "
                               "cnnbench?") + ")")  # fmt: skip
    require(data, GATE_SPEC, path, what=f" ({GATE_WHAT})")
    if data["rounds"] < MIN_ROUNDS:
        raise ResultsFileError(path, f"is {data['rounds']}", key="rounds",
                               expected=f"at least {MIN_ROUNDS} (the signed-rank test)")
    sessions = data.get("aa_sessions")
    if sessions is not None and list_of(is_str)(sessions) is not None:
        raise ResultsFileError(path, f"is {type(sessions).__name__}", key="aa_sessions",
                               expected="a list of strings: when each A/A run's session began")
    seen: set[str] = set()
    for i, e in enumerate(data["entries"]):
        where = f"entries[{i}]"
        require(e, ENTRY_SPEC, path, prefix=where)
        if sessions is not None and len(sessions) != len(e["aa_medians"]):
            raise ResultsFileError(path, f"holds {len(e['aa_medians'])} A/A medians",
                                   key=f"{where}.aa_medians",
                                   expected=f"{len(sessions)}, one per entry of aa_sessions")
        if len(e["aa_medians"]) < MIN_AA_RUNS:
            raise ResultsFileError(path, f"holds {len(e['aa_medians'])} values",
                                   key=f"{where}.aa_medians",
                                   expected=f"at least {MIN_AA_RUNS} A/A run medians")
        if "ratio" in e and is_positive(e["ratio"]) is not None:
            raise ResultsFileError(path, f"is {e['ratio']!r}", key=f"{where}.ratio",
                                   expected="a finite number > 0")
        tol = e.get("tolerance_factor", 1.0)
        if is_number(tol) is not None or tol < 1:
            raise ResultsFileError(path, f"is {tol!r}", key=f"{where}.tolerance_factor",
                                   expected="a finite factor >= 1")
        if e["name"] in seen:
            raise ResultsFileError(path, f"repeats {e['name']!r}", key=f"{where}.name",
                                   expected="each workload once")
        if known is not None and e["name"] not in known:
            raise ResultsFileError(path, f"names {e['name']!r}", key=f"{where}.name",
                                   expected="one of the gate's workloads: " + ", ".join(known))
        seen.add(e["name"])
    return data


# --- the instruction-count gate's baseline -----------------------------------------------------

COUNTS_SCHEMA = 1
COUNTS_WHAT = "an instruction-count baseline written by `cnnbench gate counts --update-baseline`"
COUNTS_SPEC = {"command": is_str, "created": is_str, "fingerprint": is_dict, "number": is_int,
               "repeats": is_int, "entries": list_of(is_dict, nonempty=True)}  # fmt: skip
COUNTS_ENTRY = {"name": is_nonempty_str, "runs": list_of(list_of(is_positive, nonempty=True),
                                                         nonempty=True),
                "functions": dict_of(is_number)}  # fmt: skip


def load_counts_baseline(path: Path, known: tuple[str, ...] | None = None) -> dict:
    """The count baseline JSON, validated so that a damaged one cannot pass the gate.

    Refused: no entries; an entry without runs, or with a count that is not a
    finite positive number; an entry twice; a statement the gate does not have
    (``known``); a fingerprint without ``cpu_capability``.
    """
    data = parse_json(read_text(path, what=COUNTS_WHAT), path, what=COUNTS_WHAT)
    require(data, COUNTS_SPEC, path, what=f" ({COUNTS_WHAT})")
    if data.get("schema") != COUNTS_SCHEMA:
        raise ResultsFileError(path, f"is {data.get('schema')!r}", key="schema",
                               expected=f"{COUNTS_SCHEMA} (written by another cnnbench?)")
    if is_nonempty_str(data["fingerprint"].get("cpu_capability")) is not None:
        raise ResultsFileError(path, "lacks it", key="fingerprint.cpu_capability",
                               expected="the CPU capability torch saw under valgrind")
    seen: set[str] = set()
    for i, e in enumerate(data["entries"]):
        where = f"entries[{i}]"
        require(e, COUNTS_ENTRY, path, prefix=where)
        if e["name"] in seen:
            raise ResultsFileError(path, f"repeats {e['name']!r}", key=f"{where}.name",
                                   expected="each statement once")
        if known is not None and e["name"] not in known:
            raise ResultsFileError(path, f"names {e['name']!r}", key=f"{where}.name",
                                   expected="one of the gate's statements: " + ", ".join(known))
        seen.add(e["name"])
    return data


# --- asv result files --------------------------------------------------------------------------

ASV_RESULT_VERSION = 2  # asv 0.6's result file format
ASV_WHAT = "an asv result file (<machine>/<commit>-<env>.json, asv 0.6 format)"
ASV_SPEC = {"commit_hash": is_nonempty_str, "result_columns": list_of(is_str),
            "results": dict_of(is_list), "version": is_int}  # fmt: skip


def load_asv_result(path: Path) -> dict:
    """One asv result file; asv writes NaN for a missing value, so NaN is accepted here."""
    data = parse_json(read_text(path, what=ASV_WHAT), path, what=ASV_WHAT, allow_nan=True)
    require(data, ASV_SPEC, path, what=f" ({ASV_WHAT})")
    if data["version"] != ASV_RESULT_VERSION:
        raise ResultsFileError(path, f"is version {data['version']}", key="version",
                               expected=f"{ASV_RESULT_VERSION} (asv 0.6)")  # fmt: skip
    columns = data["result_columns"]
    for needed in ("result", "params"):
        if needed not in columns:
            raise ResultsFileError(path, f"lacks {needed!r}", key="result_columns",
                                   expected="asv's columns, 'result' and 'params' among them")
    last = max(columns.index("result"), columns.index("params"))
    for bench, entry in data["results"].items():
        if len(entry) <= last:
            raise ResultsFileError(path, f"has {len(entry)} columns", key=f"results.{bench}",
                                   expected=f"one per result_columns ({len(columns)})")
    return data
