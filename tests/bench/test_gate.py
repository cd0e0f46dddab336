"""The within-run gate's decisions, on seeded synthetic samples and a fake clock.

Real timings never decide a test here (STYLE: statistics on a seeded fake
timer); the real-machine A/A and injected-slowdown trials are a benchmark run:
`cnnbench gate trials`.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from cnnbench.bench.gate import (
    MIN_TOL,
    BaselineEntry,
    decide,
    decide_confirmed,
    paired_log_ratios,
)
from cnnbench.bench.gate_aa import Baseline
from cnnbench.bench.gate_suite import GATE_WORKLOADS, measure_workload

# Spread of a run-level median log-ratio between A/A runs, and of single paired
# samples within a run, as seen on this 2-core VM (order of magnitude).
RUN_SD = 0.02
SAMPLE_SD = 0.05
CENTER = math.log(1.7)  # a sigmoid-vs-copy-like ratio


def _aa_entry(rng, center=CENTER, runs=10) -> BaselineEntry:
    return BaselineEntry("w", tuple(center + rng.normal(0, RUN_SD, runs)))


def _run(rng, center, shift=0.0, rounds=21):
    offset = rng.normal(0, RUN_SD)  # the whole run drifts a little
    return center + offset + shift + rng.normal(0, SAMPLE_SD, rounds)


def test_aa_runs_pass_over_many_trials():
    rng = np.random.default_rng(1)
    entry = _aa_entry(rng)
    statuses = [decide(entry, _run(rng, entry.center)).status for _ in range(200)]
    assert statuses.count("regression") == 0


def test_injected_1_5x_slowdown_is_caught_over_many_trials():
    rng = np.random.default_rng(2)
    entry = _aa_entry(rng)
    caught = [decide(entry, _run(rng, entry.center, math.log(1.5))).status for _ in range(200)]
    assert caught.count("regression") == 200


def test_speedup_is_reported_as_improvement_not_failure():
    rng = np.random.default_rng(3)
    entry = _aa_entry(rng)
    assert decide(entry, _run(rng, entry.center, math.log(0.6))).status == "improvement"


def test_small_significant_shift_below_tolerance_passes():
    # 5% slower, consistently: statistically clear but under the 10% floor
    entry = BaselineEntry("w", (0.0,) * 10)
    v = decide(entry, [math.log(1.05)] * 10 + [math.log(1.06)] * 11)
    assert v.status == "ok" and v.p_value < 0.01
    assert entry.tolerance == pytest.approx(MIN_TOL)


def test_tolerance_grows_with_aa_spread():
    rng = np.random.default_rng(4)
    wide = BaselineEntry("w", tuple(rng.normal(0, 0.2, 10)))
    assert wide.tolerance > 4 * 0.1  # 4 robust SDs of a 0.2-SD sample
    v = decide(wide, list(rng.normal(math.log(1.5), SAMPLE_SD, 21)))
    assert v.status == "ok"  # a 1.5x shift is within what this noisy workload does A/A


def test_decide_needs_enough_rounds():
    with pytest.raises(ValueError, match="`log_ratios` has 3 values"):
        decide(BaselineEntry("w", (0.0, 0.0, 0.0)), [0.1, 0.2, 0.3])


def test_flagged_regression_that_does_not_repeat_is_unconfirmed():
    entry = BaselineEntry("w", (0.0,) * 10)
    runs = iter([[math.log(2.0)] * 10 + [math.log(2.1)] * 11, [0.0] * 10 + [0.01] * 11])
    v = decide_confirmed(entry, lambda: next(runs))
    assert v.status == "unconfirmed" and v.confirm_change == pytest.approx(1.0, abs=0.02)


def test_flagged_regression_that_repeats_is_confirmed():
    entry = BaselineEntry("w", (0.0,) * 10)
    slow = [math.log(2.0)] * 10 + [math.log(2.1)] * 11
    v = decide_confirmed(entry, lambda: slow)
    assert v.status == "regression" and v.change == pytest.approx(2.0, rel=0.06)


def test_paired_ratios_on_fake_clock_alternate_order():
    clock = itertools.count(step=1)  # each timer() call advances by 1 ns
    ticks = {"fn": 0, "ref": 0}

    def fn():
        ticks["fn"] += 1
        for _ in range(2):  # fn costs 2 extra clock reads worth of "time"
            next(clock)

    def ref():
        ticks["ref"] += 1
        next(clock)

    x = paired_log_ratios(fn, ref, rounds=4, number=3, timer=lambda: next(clock))
    # per timing: 3 calls; fn advances 6 + 1 (stop read) ns, ref 3 + 1
    assert x == pytest.approx([math.log(7 / 4)] * 4)
    assert ticks == {"fn": 12, "ref": 12}


def test_baseline_json_round_trip(tmp_path):
    fp = {"id": "x86_64-avx2-2c-l2_512k-l3_32m-00000000", "facts": {"cores": 2}}
    base = Baseline((BaselineEntry("relu.out", (0.01, 0.02, 0.0)),), "cmd", "t", {"m": 1}, 21,
                    fp, ("none", "memory", "compute"))  # fmt: skip
    base.save(tmp_path / "b.json")
    again = Baseline.load(tmp_path / "b.json")
    assert again.entry("relu.out").center == pytest.approx(0.01)
    assert again.command == "cmd" and again.rounds == 21
    assert again.fingerprint == fp and again.neighbours == ("none", "memory", "compute")


@pytest.mark.parametrize("w", GATE_WORKLOADS, ids=lambda w: w.name)
def test_every_gate_workload_runs_plain_and_injected(w):
    # bodies run on the real machine; no timing is asserted (that is `cnnbench gate trials`)
    plain = measure_workload(w, rounds=6)
    assert len(plain) == 6 and all(math.isfinite(v) for v in plain)
    fn, _ = w.build(1.0)  # an extra full pass: roughly double the work
    fn()


@pytest.mark.parametrize("kind", ["memory", "compute"])
def test_neighbour_process_runs_inside_the_block_and_is_gone_after(monkeypatch, kind):
    import subprocess

    import cnnbench.bench.gate_neighbours as suite

    started = []
    real_popen = subprocess.Popen

    def spy(*args, **kwargs):
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(suite.subprocess, "Popen", spy)
    with suite.neighbour(kind):
        assert len(started) == 1 and started[0].poll() is None  # running during the block
        assert started[0].args[-1] == suite.CODE[kind]
    assert started[0].poll() is not None  # killed and reaped after it
    with suite.neighbour("none"):
        assert len(started) == 1  # no neighbour when not asked


def _session(created: str, medians: tuple[float, ...], fp: str = "fp1", rounds: int = 21):
    return Baseline((BaselineEntry("conv3x3.nchw", medians),), "cnnbench gate baseline", created,
                    {}, rounds, {"id": fp, "facts": {}}, ("none",) * len(medians))  # fmt: skip


def test_merged_sessions_widen_the_tolerance_to_cover_drift_between_them(tmp_path):
    """Each session alone is tight; a second session's ratio 12% higher is inside the
    pooled tolerance but outside the first session's (what a false alarm looks like)."""
    from cnnbench.bench.gate_aa import merge_baselines

    rng = np.random.default_rng(0)
    first = _session("2026-01-01T00:00:00Z", tuple(math.log(0.70) + 0.01 * rng.standard_normal(12)))
    later = _session("2026-01-02T00:00:00Z", tuple(math.log(0.80) + 0.01 * rng.standard_normal(12)))
    merged = merge_baselines(first, later)
    m, f = merged.entry("conv3x3.nchw"), first.entry("conv3x3.nchw")
    assert len(m.aa_medians) == 24 and merged.run_sessions[0] != merged.run_sessions[-1]
    shift = math.log(0.80) - f.center
    assert f.tolerance < shift  # the first session alone flags the later one's ratio
    assert max(abs(x - m.center) for x in m.aa_medians) < m.tolerance  # pooled, none is
    path = tmp_path / "b.json"
    merged.save(path)
    assert Baseline.load(path).run_sessions == merged.run_sessions  # the loader accepts it
    capped = merge_baselines(merged, later, keep=30)
    assert len(capped.entry("conv3x3.nchw").aa_medians) == 30 == len(capped.run_sessions)
    assert capped.run_sessions.count("2026-01-01T00:00:00Z") == 6  # the oldest went first


@pytest.mark.parametrize("other,what", [
    (lambda: _session("t2", (0.0,) * 3, fp="fp2"), "fingerprint"),
    (lambda: _session("t2", (0.0,) * 3, rounds=11), "rounds"),
])  # fmt: skip
def test_baselines_of_another_fingerprint_or_rounds_are_never_pooled(other, what):
    from cnnbench.bench.gate_aa import MergeError, merge_baselines

    with pytest.raises(MergeError, match=what):
        merge_baselines(_session("t1", (0.0,) * 3), other())


def test_a_baseline_whose_sessions_do_not_match_its_runs_is_refused(tmp_path):
    from cnnbench.bench.loaders_bench import load_gate_baseline
    from cnnbench.bench.results_io import ResultsFileError

    d = _session("t", (0.0, 0.1, 0.2)).to_json()
    d["aa_sessions"] = ["t", "t"]
    path = tmp_path / "b.json"
    path.write_text(__import__("json").dumps(d))
    with pytest.raises(ResultsFileError, match="one per entry of aa_sessions"):
        load_gate_baseline(path)


def test_merge_without_a_baseline_exits_2_before_measuring(tmp_path):
    from cnnbench.reports.cli import app
    from typer.testing import CliRunner

    r = CliRunner().invoke(app, ["gate", "baseline", "--merge", "--out",
                                 str(tmp_path / "none.json")])  # fmt: skip
    text = " ".join(r.output.split())
    assert r.exit_code == 2 and "`--merge`: nothing to pool with" in text, text
    assert "without --merge" in text and not (tmp_path / "none.json").exists()
