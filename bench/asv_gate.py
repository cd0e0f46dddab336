"""Commit-vs-commit gate over ``asv continuous``, with three distinct outcomes.

``asv continuous`` alone is a poor gate on a noisy shared machine: it exits 1
on one noisy run, exits 2 *and prints no table* as soon as any benchmark
errors, and ``asv compare`` always exits 0. :func:`run_gate`:

1. runs ``asv continuous`` for base and head in one job, interleaved rounds,
   with a factor taken from A/A data (:func:`aa_factor`);
2. always runs ``asv compare --split`` and keeps its table, so every outcome
   shows asv's comparison;
3. if benchmarks were flagged slower, re-runs *only those* with
   ``--append-samples`` (samples pooled with the first run) and compares again;
4. decides (:func:`decide`): exit 0 no regression (or not confirmed), 1
   regression confirmed, 2 a benchmark is broken (failed on either commit, or
   asv itself failed).

The asv calls go through an injectable ``runner`` so the decision logic is
tested on captured asv outputs. Command line: ``cnnbench gate asv BASE HEAD``.
"""

from __future__ import annotations

import json
import math
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cnnbench.analysis._validation import ParameterError, as_real

ROOT = Path(__file__).resolve().parents[1]
AA_FILE = ROOT / "bench" / "asv_gate_aa.json"
# Without A/A data: 1.5 is what xarray/scikit-image gate CPU benchmarks with, and
# an A/A run here reached 1.47x unflagged (shared notes, asv.md section 3d).
DEFAULT_FACTOR = 1.5
# Never gate tighter than asv's own default factor, whatever the A/A data say.
MIN_FACTOR = 1.1
# Head-room above the widest A/A ratio seen: one A/A run under-samples the tail.
AA_MARGIN = 1.1
# The benchmarks gated by default: CPU forward/backward timings whose timed
# call is >= 1 ms (bench/benchmarks/common.py), not the track_* metrics.
DEFAULT_BENCH = r"\.time_(forward|backward\w*)\("

EXIT_PASS, EXIT_REGRESSION, EXIT_BROKEN = 0, 1, 2
MARKS = {"+": "worse", "-": "better", "!": "newly failing", "*": "fixed", "x": "not comparable"}

# (argv, working directory) -> (exit code, stdout + stderr)
Runner = Callable[[Sequence[str], Path], tuple[int, str]]


@dataclass(frozen=True)
class CompareRow:
    """One row of ``asv compare``'s table."""

    mark: str  # "+", "-", "!", "*", "x" or "" (unchanged / insignificant)
    before: str  # as asv prints it: "3.09±0.1ms", "failed", "n/a"
    after: str
    ratio: float | None  # None for "n/a"
    insignificant: bool  # asv's "~": beyond the factor but not significant
    benchmark: str  # full name with parameters, e.g. "bench_conv.TimeConv2d.time_forward('a')"

    @property
    def failed(self) -> bool:
        return "failed" in (self.before, self.after)

    @property
    def name(self) -> str:
        """Benchmark name without its parameters."""
        return self.benchmark.split("(", 1)[0]


@dataclass(frozen=True)
class Decision:
    exit_code: int
    outcome: str  # "pass" | "regression" | "broken"
    reason: str


@dataclass(frozen=True)
class GateResult:
    """What the gate saw and decided; ``table`` is asv's own comparison."""

    decision: Decision
    factor: float
    base: str
    head: str
    table: str
    flagged: tuple[CompareRow, ...]
    confirmed: tuple[CompareRow, ...]
    broken: tuple[CompareRow, ...]
    commands: tuple[str, ...]  # every asv command run, to reproduce by hand
    log: tuple[str, ...] = field(default=(), repr=False)  # asv's output per command

    @property
    def exit_code(self) -> int:
        return self.decision.exit_code

    def to_json(self) -> dict:
        def rows(rs):
            return [{"mark": r.mark, "before": r.before, "after": r.after, "ratio": r.ratio,
                     "benchmark": r.benchmark} for r in rs]

        return {
            "exit_code": self.exit_code, "outcome": self.decision.outcome,
            "reason": self.decision.reason, "factor": self.factor, "base": self.base,
            "head": self.head, "flagged": rows(self.flagged), "confirmed": rows(self.confirmed),
            "broken": rows(self.broken), "commands": list(self.commands),
        }


_ROW = re.compile(r"^\|(.*)\|\s*$")


def parse_compare(text: str) -> tuple[CompareRow, ...]:
    """Rows of every table in ``asv compare`` output (github table format)."""
    out = []
    for line in text.splitlines():
        m = _ROW.match(line.strip())
        if not m:
            continue
        cells = [c.strip() for c in m.group(1).split("|")]
        if len(cells) < 5 or cells[0] == "Change" or all(c and set(c) <= {"-", ":"} for c in cells):
            continue  # not a row, the header, or the |---|---| rule
        mark, before, after, ratio_s = cells[:4]
        bench = "|".join(cells[4:]).strip()  # a parameter value may hold "|"
        insignificant = ratio_s.startswith("~")
        try:
            ratio = float(ratio_s.lstrip("~"))
        except ValueError:
            ratio = None
        out.append(CompareRow(mark, before, after, ratio, insignificant, bench))
    return tuple(out)


def suspects(rows: Sequence[CompareRow], factor: float) -> tuple[CompareRow, ...]:
    """Rows worth re-running: asv's "+" rows, and "~" rows slower beyond the factor.

    "~" means beyond the factor but not significant; on this VM a 3x slowdown
    with one preempted sample per side read "~10.99" (Mann-Whitney p > 0.002
    on 10 + 10 samples), so those get the pooled re-run too.
    """
    return tuple(
        r for r in rows
        if r.mark == "+" or (r.insignificant and r.ratio is not None and r.ratio > factor)
    )


def _broken(rows: Sequence[CompareRow]) -> list[CompareRow]:
    return [r for r in rows if r.failed or r.mark == "!"]


def decide(
    continuous_rc: int,
    rows: Sequence[CompareRow],
    factor: float,
    confirm_rc: int | None = None,
    confirm_rows: Sequence[CompareRow] | None = None,
) -> Decision:
    """Exit code from asv's exit codes and compare tables (first run, re-run)."""
    broken = _broken(rows)
    if continuous_rc == EXIT_BROKEN or broken:
        names = ", ".join(r.benchmark for r in broken) or "see asv's output"
        return Decision(EXIT_BROKEN, "broken", f"a benchmark errored on base or head: {names}")
    if not rows:
        return Decision(EXIT_BROKEN, "broken", f"asv exited {continuous_rc} and compared nothing")
    if continuous_rc not in (0, 1) or (continuous_rc == 1 and not any(r.mark == "+" for r in rows)):
        return Decision(EXIT_BROKEN, "broken",
                        f"asv continuous exited {continuous_rc} without a slower benchmark")
    flagged = suspects(rows, factor)
    if not flagged:
        return Decision(EXIT_PASS, "pass", f"no benchmark slower beyond the factor {factor}")
    if confirm_rows is None:
        raise ParameterError("confirm_rows", None, "must be given when benchmarks were flagged")
    if confirm_rc == EXIT_BROKEN or _broken(confirm_rows):
        return Decision(EXIT_BROKEN, "broken", "a benchmark errored while re-running the flagged")
    again = {r.benchmark for r in confirm_rows if r.mark == "+"}
    confirmed = [r for r in flagged if r.benchmark in again]
    if confirmed:
        return Decision(EXIT_REGRESSION, "regression",
                        f"{len(confirmed)} of {len(flagged)} flagged benchmark(s) still "
                        f"significantly slower beyond {factor}x after re-running them")
    return Decision(EXIT_PASS, "pass",
                    f"{len(flagged)} flagged benchmark(s) not confirmed on re-running: noise")


def needs_confirmation(continuous_rc: int, rows: Sequence[CompareRow], factor: float) -> bool:
    """True when something looks slower and nothing is broken."""
    return continuous_rc in (0, 1) and bool(suspects(rows, factor)) and not _broken(rows)


def aa_factor(
    ratios: Iterable[float], margin: float = AA_MARGIN, floor: float = MIN_FACTOR
) -> float:
    """Gate factor from A/A ratios (same code on both sides): widest spread x margin.

    >>> aa_factor([0.75, 1.2, 1.05])  # bit-exact: rounded to 2 decimals
    1.47
    """
    rs = [float(r) for r in ratios]
    if not rs or any(not math.isfinite(r) or r <= 0 for r in rs):
        raise ParameterError("ratios", rs[:5], "must be a non-empty list of positive finite ratios")
    as_real("margin", margin, lower=1.0)
    spread = max(max(r, 1.0 / r) for r in rs)
    return round(max(floor, spread * margin), 2)


def load_factor(path: Path = AA_FILE) -> tuple[float, str]:
    """The factor recorded from A/A runs, else :data:`DEFAULT_FACTOR`; with its source."""
    if not Path(path).is_file():
        return DEFAULT_FACTOR, f"default {DEFAULT_FACTOR} (no A/A data in {path})"
    data = json.loads(Path(path).read_text())
    ratios = [r for run in data["runs"] for r in run["ratios"].values() if r is not None]
    return aa_factor(ratios), f"A/A data in {path} ({len(data['runs'])} run(s))"


def _regex_literal(text: str) -> str:
    """``text`` as a regex matching itself; unlike re.escape, spaces and quotes stay readable."""
    return re.sub(r"([.^$*+?{}\[\]|()\\])", r"\\\1", text)


def _asv(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "asv", *args[:1], "--config", str(config), *args[1:]]


def subprocess_runner(argv: Sequence[str], cwd: Path) -> tuple[int, str]:
    done = subprocess.run(list(argv), capture_output=True, text=True, cwd=cwd)
    return done.returncode, done.stdout + done.stderr


def _compare_cmd(config, base, head, factor, machine):
    extra = ["--machine", machine] if machine else []
    return _asv(config, "compare", "--split", "--factor", str(factor), *extra, base, head)


def _continuous_cmd(config, base, head, factor, bench, machine, append=False):
    extra = ["--machine", machine] if machine else []
    return _asv(config, "continuous", "--launch-method", "spawn", "--interleave-rounds",
                "--factor", str(factor), "--show-stderr", "-b", bench, *extra,
                *(["--append-samples"] if append else []), base, head)


def run_gate(
    base: str,
    head: str,
    *,
    factor: float | None = None,
    bench: str = DEFAULT_BENCH,
    machine: str | None = None,
    config: Path = ROOT / "asv.conf.json",
    runner: Runner = subprocess_runner,
) -> GateResult:
    """Gate ``head`` against ``base``; see the module docstring for the steps."""
    if factor is None:
        factor, _ = load_factor()
    as_real("factor", factor, lower=1.0, lower_open=True)
    cmds, log = [], []

    def call(argv):
        shown = ["asv", *argv[3:]] if list(argv[:3]) == [sys.executable, "-m", "asv"] else argv
        cmds.append(shlex.join(shown))
        rc, text = runner(argv, Path(config).resolve().parent)
        log.append(text)
        return rc, text

    # compare lists every benchmark with stored results for the two commits;
    # only those this job measured (the -b selection) are judged
    def gated(text):
        return tuple(r for r in parse_compare(text) if re.search(bench, r.benchmark))

    rc, _ = call(_continuous_cmd(config, base, head, factor, bench, machine))
    _, table = call(_compare_cmd(config, base, head, factor, machine))
    rows = gated(table)
    flagged = suspects(rows, factor)
    confirm_rows: tuple[CompareRow, ...] = ()
    if needs_confirmation(rc, rows, factor):
        again = "^(?:" + "|".join(_regex_literal(r.benchmark) for r in flagged) + ")$"
        crc, _ = call(_continuous_cmd(config, base, head, factor, again, machine, append=True))
        _, table = call(_compare_cmd(config, base, head, factor, machine))
        confirm_rows = gated(table)
        decision = decide(rc, rows, factor, crc, confirm_rows)
    else:
        decision = decide(rc, rows, factor)
    again_plus = {r.benchmark for r in confirm_rows if r.mark == "+"}
    return GateResult(
        decision=decision, factor=factor, base=base, head=head, table=table,
        flagged=flagged, confirmed=tuple(r for r in flagged if r.benchmark in again_plus),
        broken=tuple(_broken((*rows, *confirm_rows))),
        commands=tuple(cmds), log=tuple(log),
    )
