"""The timing gate's baseline: A/A runs beside each kind of neighbour, per machine.

A baseline belongs to one machine fingerprint (:mod:`cnnbench.bench.fingerprint`)
and lives at ``bench/gate_baselines/<fingerprint id>.json``; the gate never
compares a run with a baseline of another fingerprint.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import torch
from cnnbench.bench import gate_suite
from cnnbench.bench.gate import BaselineEntry
from cnnbench.bench.gate_neighbours import NEIGHBOURS, neighbour
from cnnbench.bench.gate_spec import DEFAULT_ROUNDS, GATE_NAMES, GATE_THREADS
from cnnbench.bench.loaders_bench import GATE_SCHEMA, load_gate_baseline
from cnnbench.bench.machine import cpu_model
from cnnbench.bench.results_io import write_json_atomic

AA_CYCLE = NEIGHBOURS  # A/A run i runs beside AA_CYCLE[i % 3]: none, memory, compute
# A merged baseline keeps this many A/A runs per workload (five sessions of 12), the
# oldest dropped first: enough sessions to span the host's drift, not a year of it.
MAX_MERGED_RUNS = 60


class MergeError(ValueError):
    """Two baselines that cannot be pooled (the message says which property differs)."""


@dataclass(frozen=True)
class Baseline:
    """Accepted ratios with their A/A spread, how and where they were obtained."""

    entries: tuple[BaselineEntry, ...]
    command: str
    created: str
    machine: dict
    rounds: int
    fingerprint: dict = field(default_factory=dict)  # {"id": ..., "facts": ...}
    neighbours: tuple[str, ...] = ()  # the neighbour of each A/A run, in order
    sessions: tuple[str, ...] = ()  # when each A/A run's session began (empty: ``created``)

    @property
    def run_sessions(self) -> tuple[str, ...]:
        n = len(self.entries[0].aa_medians) if self.entries else 0
        return self.sessions or (self.created,) * n

    def entry(self, name: str) -> BaselineEntry:
        for e in self.entries:
            if e.name == name:
                return e
        raise KeyError(name)

    def to_json(self) -> dict:
        return {
            "schema": GATE_SCHEMA,
            "command": self.command,
            "created": self.created,
            "fingerprint": self.fingerprint,
            "machine": self.machine,
            "rounds": self.rounds,
            "threads": GATE_THREADS,
            "aa_neighbours": list(self.neighbours),
            "aa_sessions": list(self.run_sessions),
            "entries": [e.to_json() for e in self.entries],
        }

    @classmethod
    def from_json(cls, d: dict) -> Baseline:
        entries = tuple(BaselineEntry(e["name"], tuple(e["aa_medians"])) for e in d["entries"])
        return cls(entries, d["command"], d["created"], d["machine"], d["rounds"],
                   d.get("fingerprint", {}), tuple(d.get("aa_neighbours", ())),
                   tuple(d.get("aa_sessions", ())))  # fmt: skip

    def save(self, path: Path) -> None:
        write_json_atomic(path, self.to_json())

    @classmethod
    def load(cls, path: Path) -> Baseline:
        """Read and validate (:func:`cnnbench.bench.loaders_bench.load_gate_baseline`): a damaged
        baseline raises :class:`cnnbench.bench.results_io.ResultsFileError`, never passes."""
        return cls.from_json(load_gate_baseline(path, known=GATE_NAMES))


def machine_info() -> dict:
    return {
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "torch": torch.__version__,
        "threads": GATE_THREADS,
        "allocator": gate_suite.pin_allocator(),
        "clock": "thread CPU time (time.thread_time_ns)",
        "aa_runs": "A/A runs cycle through no neighbour, a 128 MB-copy neighbour and a "
        "96x96-matmul neighbour on the other core",
    }


def build_baseline(
    names: Iterable[str] = GATE_NAMES,
    *,
    aa_runs: int = 12,
    rounds: int = DEFAULT_ROUNDS,
    command: str = "",
    neighbours: bool = True,
    progress: Callable[[str], None] = lambda _: None,
) -> Baseline:
    """Repeat the unmodified measurement ``aa_runs`` times per workload (A/A runs).

    With ``neighbours``, A/A run ``i`` has neighbour ``AA_CYCLE[i % 3]`` on the
    other core (:mod:`cnnbench.bench.gate_neighbours`), so the tolerances cover
    the ratio shift either kind of busy machine causes, not only back-to-back
    repeatability: a baseline taken on a quiet machine flagged
    conv3x3.channels_last at 1.14x as soon as another benchmark ran beside it.
    """
    from cnnbench.bench.fingerprint import machine_fingerprint

    torch.set_num_threads(GATE_THREADS)
    gate_suite.pin_allocator()
    kinds = tuple(AA_CYCLE[i % len(AA_CYCLE)] if neighbours else "none" for i in range(aa_runs))
    entries = []
    for name in names:
        medians = []
        for i, kind in enumerate(kinds):
            progress(f"{name} A/A run {i + 1}/{aa_runs}" + ("" if kind == "none" else
                                                            f" ({kind} neighbour)"))  # fmt: skip
            with neighbour(kind):
                x = gate_suite.measure_workload(gate_suite.workload(name), rounds=rounds)
            medians.append(sorted(x)[len(x) // 2])
        entries.append(BaselineEntry(name, tuple(medians)))
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Baseline(tuple(entries), command, created, machine_info(), rounds,
                    machine_fingerprint(), kinds)  # fmt: skip


def merge_baselines(old: Baseline, new: Baseline, keep: int = MAX_MERGED_RUNS) -> Baseline:
    """``new``'s A/A runs pooled with ``old``'s, the oldest dropped beyond ``keep``.

    A ratio can move between sessions on the same fingerprint, out of the VM's
    sight (conv3x3.nchw read 0.633, 0.703 and 0.82-0.85 on one day): one
    session's A/A runs cannot see that, runs pooled over sessions can, and the
    tolerance (``K_SIGMA`` robust SDs of all run medians) then covers it.
    Refused (:class:`MergeError`): another fingerprint, round count or workload set.
    """
    for what, a, b in (("fingerprint", old.fingerprint.get("id"), new.fingerprint.get("id")),
                       ("rounds", old.rounds, new.rounds),
                       ("workloads", sorted(e.name for e in old.entries),
                        sorted(e.name for e in new.entries))):  # fmt: skip
        if a != b:
            raise MergeError(f"the baselines differ in {what} ({a!r} and {b!r})")
    old_neighbours = old.neighbours or ("unrecorded",) * len(old.run_sessions)
    neighbours = (old_neighbours + new.neighbours)[-keep:]
    sessions = (old.run_sessions + new.run_sessions)[-keep:]
    entries = tuple(BaselineEntry(e.name, (old.entry(e.name).aa_medians + e.aa_medians)[-keep:])
                    for e in new.entries)  # fmt: skip
    return Baseline(entries, new.command, new.created, new.machine, new.rounds, new.fingerprint,
                    neighbours, sessions)  # fmt: skip
