"""The instruction-count gate: a committed baseline of counts, and the decision.

A baseline holds, per statement, the instructions per call of every kept
repeat of every baseline trial (each trial a valgrind process of its own), and
the top functions of one trial. Its tolerance is
``max(MIN_REL_TOL, K_SPREAD x spread)`` with ``spread`` the relative range of
those values (1e-5 to 4e-3 here), so the 1% floor decides.

Two processes count exactly the same instructions, because the counting
process draws a fixed entropy stream (:mod:`cnnbench.bench.counts`). Without it
they did not: CPython seeds several ``Random()`` instances from ``getrandom``
while torch is imported, the heap's history then differs, and with it the
allocators' share of a call (glibc's ``malloc.c``, CPython's ``obmalloc.c``) and
code whose path depends on object addresses (CPython's type-attribute cache):
up to 4e-3 between processes. The repeats within one process still differ by
up to 5e-3 (the heap moves on between them), and the tolerance covers that.
A statement whose
count rose by more than its tolerance is a regression (no re-run: the count
would repeat to within that spread); one that fell by more is an improvement (accept it with
``--update-baseline``). A regression names the functions whose counts changed
most, where callgrind can name them.

The baseline records what the counts depend on (its *fingerprint*: valgrind,
torch, Python, glibc, the CPU capability torch sees under valgrind); a run with
another fingerprint is never compared with it.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cnnbench.bench.counts import CountRun, StatementCounts
from cnnbench.bench.counts_spec import K_SPREAD, MIN_REL_TOL, NUMBER, REPEATS, TOP_FUNCTIONS
from cnnbench.bench.loaders_bench import COUNTS_SCHEMA
from cnnbench.bench.results_io import write_json_atomic

FINGERPRINT_KEYS = ("valgrind", "torch", "python", "machine", "glibc", "cpu_capability")


def host_fingerprint() -> dict:
    """The fingerprint as far as it is known before counting (all but the capability)."""
    import torch
    from cnnbench.bench.counts import valgrind_version

    return {"valgrind": valgrind_version(), "torch": torch.__version__,
            "python": platform.python_version(), "machine": platform.machine(),
            "glibc": "-".join(platform.libc_ver())}  # fmt: skip


def fingerprint_differences(recorded: dict, here: dict) -> list[str]:
    """``key: recorded -> here`` for every fingerprint key both know and that differs."""
    return [f"{k}: {recorded[k]!r} -> {here[k]!r}" for k in FINGERPRINT_KEYS
            if k in recorded and k in here and recorded[k] != here[k]]  # fmt: skip


@dataclass(frozen=True)
class CountsEntry:
    name: str
    runs: tuple[tuple[float, ...], ...]  # per baseline run: instructions per call, each repeat
    functions: dict[str, float]

    @property
    def values(self) -> list[float]:
        return sorted(v for run in self.runs for v in run)

    @property
    def center(self) -> float:
        v = self.values
        return v[len(v) // 2]

    @property
    def spread(self) -> float:
        v = self.values
        return (v[-1] - v[0]) / self.center

    @property
    def tolerance(self) -> float:
        return max(MIN_REL_TOL, K_SPREAD * self.spread)

    def to_json(self) -> dict:
        top = sorted(self.functions.items(), key=lambda kv: -kv[1])[:TOP_FUNCTIONS]
        return {"name": self.name, "runs": [[round(v, 2) for v in r] for r in self.runs],
                "per_call": round(self.center, 2), "tolerance": round(self.tolerance, 6),
                "functions": {k: round(v, 2) for k, v in top}}  # fmt: skip


@dataclass(frozen=True)
class CountsBaseline:
    entries: tuple[CountsEntry, ...]
    fingerprint: dict
    command: str
    created: str
    number: int = NUMBER
    repeats: int = REPEATS
    entropy: str = "unknown"  # "fixed": counted with fixed_entropy.c's stream (reproducible)

    def entry(self, name: str) -> CountsEntry:
        for e in self.entries:
            if e.name == name:
                return e
        raise KeyError(name)

    def to_json(self) -> dict:
        return {"schema": COUNTS_SCHEMA, "command": self.command, "created": self.created,
                "fingerprint": self.fingerprint, "number": self.number,
                "repeats": self.repeats, "entropy": self.entropy,
                "entries": [e.to_json() for e in self.entries]}  # fmt: skip

    @classmethod
    def from_json(cls, d: dict) -> CountsBaseline:
        entries = tuple(CountsEntry(e["name"], tuple(tuple(r) for r in e["runs"]),
                                    dict(e["functions"])) for e in d["entries"])  # fmt: skip
        return cls(entries, d["fingerprint"], d["command"], d["created"], d["number"],
                   d["repeats"], d.get("entropy", "unknown"))  # fmt: skip

    def save(self, path: Path) -> None:
        write_json_atomic(path, self.to_json())


def baseline_from_runs(run: CountRun, command: str) -> CountsBaseline:
    """One entry per statement from a run of repeated trials (each a fresh build of
    every statement, in a valgrind process of its own): its kept repeats per trial."""
    names = list(dict.fromkeys(s.name for s in run.statements))
    entries = []
    for name in names:
        per = sorted((s for s in run.statements if s.name == name), key=lambda s: s.trial)
        entries.append(CountsEntry(name, tuple(s.per_call for s in per), per[0].functions))
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    fp = {k: run.seen.get(k) for k in FINGERPRINT_KEYS}
    return CountsBaseline(tuple(entries), fp, command, created,
                          entropy=run.seen.get("entropy", "unknown"))


@dataclass(frozen=True)
class CountsVerdict:
    name: str
    status: str  # "ok" | "regression" | "improvement"
    baseline: float  # instructions per call
    now: float
    tolerance: float  # relative
    functions: tuple[tuple[str, float], ...] = ()  # (function, change per call), largest first

    @property
    def change(self) -> float:
        return self.now / self.baseline

    def to_json(self) -> dict:
        return {"name": self.name, "status": self.status, "baseline": round(self.baseline, 2),
                "now": round(self.now, 2), "change": round(self.change, 6),
                "tolerance": round(self.tolerance, 6),
                "functions": [[f, round(d, 2)] for f, d in self.functions]}  # fmt: skip


def function_changes(base: dict[str, float], now: dict[str, float],
                     top: int = 5) -> tuple[tuple[str, float], ...]:  # fmt: skip
    """The functions whose per-call counts moved most (those the baseline kept, or new)."""
    keys = set(base) | set(now)
    floor = min(base.values()) if len(base) >= TOP_FUNCTIONS else 0.0
    deltas = []
    for k in keys:
        if k not in base and now.get(k, 0.0) < floor:
            continue  # below the baseline's cut: its old count is unknown
        deltas.append((k, now.get(k, 0.0) - base.get(k, 0.0)))
    deltas.sort(key=lambda kv: -abs(kv[1]))
    return tuple((k, d) for k, d in deltas[:top] if d != 0)


def decide(entry: CountsEntry, s: StatementCounts) -> CountsVerdict:
    rel = s.median / entry.center - 1.0
    status = "regression" if rel > entry.tolerance else (
        "improvement" if rel < -entry.tolerance else "ok")  # fmt: skip
    fns = function_changes(entry.functions, s.functions) if status != "ok" else ()
    return CountsVerdict(entry.name, status, entry.center, s.median, entry.tolerance, fns)
