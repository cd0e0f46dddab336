"""The harness-vs-Timer cross-check runs and reports (its figures are not asserted)."""

from __future__ import annotations

import dataclasses

from cnnbench.bench.crosscheck import Agreement, crosscheck, default_workloads
from cnnbench.bench.harness import HarnessConfig


def test_default_crosscheck_set_has_at_least_ten_workloads():
    ws = default_workloads()
    assert len(ws) >= 10
    assert {w.group for w in ws} == {"activation", "conv"}


def test_crosscheck_one_small_workload_reports_both_timers():
    w = dataclasses.replace(default_workloads()[0], shape=(4096,), case="small")
    (a,) = crosscheck([w], HarnessConfig(budget_s=0.05, warmup_s=0.0), threads=1)
    assert isinstance(a, Agreement) and a.harness_s > 0 and a.timer_s > 0
    assert a.timer_block >= 1 and a.to_json()["ratio"] == a.ratio
