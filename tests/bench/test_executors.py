"""Executors: the same results as the serial run, whatever runs the units and in what order.

The reference is the serial path (`run_claims`, the checks computing their
units themselves); the oracle for "same" is that path's own output, never a
restated formula.
"""

from __future__ import annotations

import dataclasses
import os

import cnnbench.analysis.claims._plan as plan
import pytest
import torch
from cnnbench.analysis.claims import Claim, all_claims, confirmed, run_claims, select_claims
from cnnbench.analysis.claims._plan import run_claims_on
from cnnbench.analysis.reproducible import deterministic
from cnnbench.analysis.seeds import XU_THESIS
from cnnbench.analysis.units import Unit, result_of
from cnnbench.bench.executors import ExecutorLost, ProcessExecutor, SerialExecutor


def _same(a, b) -> None:
    assert [r.claim.id for r in a] == [r.claim.id for r in b]
    for x, y in zip(a, b, strict=True):
        assert x.result.verdict == y.result.verdict, x.claim.id
        assert x.result.method == y.result.method, x.claim.id
        assert dict(x.result.evidence) == dict(y.result.evidence), x.claim.id
        assert x.result.correction == y.result.correction


def test_local_processes_give_the_serial_results():
    claims = select_claims(all_claims(), r"^receptive\.")
    assert len(claims) >= 5
    serial = list(run_claims(claims))
    with ProcessExecutor(2) as ex:
        out = run_claims_on(ex, claims)
    assert out.missing == () and not out.interrupted
    _same(out.results, serial)


def _cheapest(units, n=1):
    return sorted(units, key=lambda u: u.cost)[:n]


def test_a_grid_unit_is_the_same_in_any_context():
    from cnnbench.analysis.variance.grid import grid_units

    (unit,) = _cheapest(grid_units())
    alone = unit.run()  # as a worker runs it
    with deterministic("variance.mc-grid"):  # as the serial check runs it, after other draws
        torch.rand(1000)
        inside = result_of(unit)
    assert alone == inside


def test_a_training_unit_is_the_same_in_any_context():
    from cnnbench.analysis.training.experiment import CONFIG_000, experiment_units

    (unit,) = _cheapest(experiment_units(CONFIG_000))
    alone = unit.run()
    with deterministic("training.some-other-claim"):
        torch.randn(77)
        inside = result_of(unit)

    def strip(r):
        return {k: v for k, v in dataclasses.asdict(r).items() if k != "seconds"}

    assert strip(alone) == strip(inside)


# Fake claims with units, run in this process (the serial executor), to see the plan
# hand the units' results to the check and keep what finished when things go wrong.
CALLS: list[str] = []


def square(x: int) -> int:
    CALLS.append(f"square{x}")
    return x * x


def boom(x: int) -> int:
    raise RuntimeError(f"unit {x} broke")


def _units(fn=square):
    return tuple(Unit(f"fake/{x}", fn, (x,), cost=x) for x in (1, 2, 3))


def _sum_check(fn=square):
    def check():
        total = sum(result_of(u) for u in _units(fn))
        return confirmed("numeric", f"sum of squares is {total}", total=total)

    return check


def _fakes(fn=square):
    return (
        Claim("fake.sum", XU_THESIS, "§1", "the sum", _sum_check(fn), units=lambda: _units(fn)),
        Claim("fake.plain", XU_THESIS, "§2", "plain", lambda: confirmed("numeric", "ok")),
    )


@pytest.fixture
def registry(monkeypatch):
    def install(claims):
        monkeypatch.setattr(plan, "_registry", lambda: {c.id: c for c in claims})
        return claims

    return install


def test_plan_hands_the_units_to_the_check(registry):
    claims = registry(_fakes())
    CALLS.clear()
    serial = list(run_claims(claims))
    CALLS.clear()
    ticks = []
    out = run_claims_on(SerialExecutor(), claims, progress=lambda d, t, n: ticks.append((d, t)))
    _same(out.results, serial)
    assert out.results[0].result.evidence["total"] == 14
    assert sorted(CALLS) == ["square1", "square2", "square3"]  # once each, by the units
    assert ticks[-1] == (5, 5)  # 3 units + 2 claims, done / total


def test_a_crashing_unit_is_an_error_verdict_naming_it(registry):
    claims = registry(_fakes(boom))
    out = run_claims_on(SerialExecutor(), claims)
    verdicts = {r.claim.id: r.result.verdict.value for r in out.results}
    assert verdicts == {"fake.sum": "error", "fake.plain": "confirmed"}
    assert "unit fake/3 crashed" in out.results[0].result.summary  # costliest first


class _Flaky(SerialExecutor):
    """The serial executor that fails after ``after`` tasks, as Ctrl-C or a lost pool does."""

    def __init__(self, after: int, exc: BaseException):
        super().__init__()
        self.after, self.exc = after, exc

    def next_done(self):
        if self.after == 0:
            raise self.exc
        self.after -= 1
        return super().next_done()


def test_ctrl_c_keeps_what_finished(registry):
    claims = registry(_fakes())
    out = run_claims_on(_Flaky(4, KeyboardInterrupt()), claims)  # 3 units + fake.plain
    assert out.interrupted
    assert [r.claim.id for r in out.results] == ["fake.plain"]
    assert out.missing == ("fake.sum",) and "interrupted" in out.reason


def test_lost_workers_name_what_is_missing(registry):
    claims = registry(_fakes())
    lost = ExecutorLost("every worker is gone", ("claim:fake.sum",))
    out = run_claims_on(_Flaky(4, lost), claims)
    assert not out.interrupted
    assert [r.claim.id for r in out.results] == ["fake.plain"]
    assert out.missing == ("fake.sum",) and out.reason == "every worker is gone"


def die() -> None:
    os._exit(3)


def test_a_dead_worker_process_is_executor_lost_naming_the_tasks():
    with ProcessExecutor(1) as ex:
        ex.submit("a", die)
        ex.submit("b", square, 2)
        with pytest.raises(ExecutorLost) as info:
            while ex.pending:
                ex.next_done()
    assert set(info.value.missing) == {"a", "b"}
    assert "a worker process died" in str(info.value)


def test_local_processes_refuse_timing_resources():
    with ProcessExecutor(1) as ex, pytest.raises(ValueError, match="timing needs a device"):
        ex.submit("t", square, 1, resources={"BENCH": 1})
