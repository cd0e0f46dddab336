"""Claims as tasks for an executor: whole claims, or a grid check's units then its verdict.

:func:`run_claims_on` takes any executor with ``submit(key, fn, *args)``,
``next_done()`` and ``close(cancel=)`` (:mod:`cnnbench.bench.executors`) and
returns the same :class:`ClaimResult` objects as :func:`run_claims`, in the
claims' order, whichever process or machine ran them:

- a claim without units is one task, :func:`claim_task`: the worker looks the
  claim up by id in its own registry and runs :func:`run_claim` on it;
- a claim with units (:attr:`Claim.units`) has each unit computed as a task of
  its own (:func:`unit_task`; a unit shared by several claims runs once), then
  one more :func:`claim_task` given the units' results, so the check only
  combines them (:func:`cnnbench.analysis.units.provided`).

Expensive tasks are submitted first (slow claims, then units by cost) so that
the last to finish are short. A unit that crashes makes its claims ``error``
verdicts, as a crashing check does; units that can no longer run (the
executor lost its workers) leave their claims out of the results, named in
:attr:`PlanOutcome.missing`.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cnnbench.analysis.claims._core import CheckResult, Claim, Verdict
from cnnbench.analysis.claims._run import ClaimResult, run_claim
from cnnbench.analysis.units import Unit, provided

# (tasks done, tasks in all, what finished last)
ProgressFn = Callable[[int, int, str], None]


@lru_cache(maxsize=1)
def _registry() -> dict[str, Claim]:
    from cnnbench.analysis.claims import all_claims

    return {c.id: c for c in all_claims()}


def claim_task(claim_id: str, results: dict[str, Any] | None = None) -> tuple[CheckResult, float]:
    """Run the registered claim ``claim_id`` here (with its units' ``results`` handed in)."""
    claim = _registry().get(claim_id)
    if claim is None:
        raise KeyError(f"claim {claim_id!r} is not registered on this worker (another "
                       "cnnbench version?)")  # fmt: skip
    with provided(results or {}):
        done = run_claim(claim)
    return done.result, done.seconds


def unit_task(unit: Unit) -> Any:
    """Compute one unit here, reproducibly (:meth:`Unit.run`)."""
    return unit.run()


@dataclass(frozen=True)
class PlanOutcome:
    """Results in the claims' order; claims that did not finish, and why."""

    results: tuple[ClaimResult, ...]
    missing: tuple[str, ...] = ()
    reason: str = ""  # why claims are missing ("interrupted", the executor's message)
    interrupted: bool = False


def _crashed(claim: Claim, what: str, exc: BaseException, seconds: float) -> ClaimResult:
    tb = "".join(traceback.format_exception(exc)[-3:])
    return ClaimResult(claim, CheckResult(Verdict.ERROR, "error", {
        "summary": f"{what} crashed: {exc!r}", "traceback": tb}), seconds)  # fmt: skip


def run_claims_on(executor: Any, claims: Iterable[Claim],
                  progress: ProgressFn | None = None) -> PlanOutcome:  # fmt: skip
    """Every claim through ``executor``; Ctrl-C keeps what finished (``interrupted``)."""
    claims = tuple(claims)
    split = {c.id: us for c in claims if c.units is not None and (us := tuple(c.units()))}
    units = {u.id: u for us in split.values() for u in us}
    waiting = {cid: {u.id for u in us} for cid, us in split.items()}
    got: dict[str, Any] = {}
    spent: dict[str, float] = {}
    finished: dict[str, ClaimResult] = {}
    total = len(units) + len(claims)
    count = 0
    whole = sorted((c for c in claims if c.id not in split), key=lambda c: not c.slow)
    for c in [c for c in whole if c.slow]:
        executor.submit(f"claim:{c.id}", claim_task, c.id)
    for u in sorted(units.values(), key=lambda u: -u.cost):
        executor.submit(f"unit:{u.id}", unit_task, u)
    for c in [c for c in whole if not c.slow]:
        executor.submit(f"claim:{c.id}", claim_task, c.id)
    by_id = {c.id: c for c in claims}
    try:
        while executor.pending:
            done = executor.next_done()
            count += 1
            kind, name = done.key.split(":", 1)
            if kind == "claim":
                c = by_id[name]
                if done.error is not None:
                    finished[name] = _crashed(c, "the task", done.error, done.seconds)
                else:
                    result, seconds = done.value
                    finished[name] = ClaimResult(c, result, seconds + spent.get(name, 0.0))
            else:
                _unit_done(executor, done, name, waiting, got, spent, by_id, finished)
            if progress is not None:
                progress(count, total, name)
    except KeyboardInterrupt:
        executor.close(cancel=True)
        return _outcome(claims, finished, "interrupted (Ctrl-C)", interrupted=True)
    except Exception as exc:
        if not hasattr(exc, "missing"):  # the executor's ExecutorLost carries `missing`
            raise
        return _outcome(claims, finished, str(exc))
    return _outcome(claims, finished, "")


def _unit_done(executor, done, uid, waiting, got, spent, by_id, finished) -> None:
    """Record a unit; a claim whose units are all in goes to the executor for its verdict."""
    charged = False  # a shared unit's time goes to the first claim using it, as serially
    for cid, need in waiting.items():
        if uid not in need or cid in finished:
            continue
        if done.error is not None:
            finished[cid] = _crashed(by_id[cid], f"unit {uid}", done.error, done.seconds)
            continue
        need.discard(uid)
        if not charged:
            spent[cid] = spent.get(cid, 0.0) + done.seconds
            charged = True
        if not need:
            mine = {u.id for u in by_id[cid].units()}
            executor.submit(f"claim:{cid}", claim_task, cid,
                            {k: v for k, v in {**got, uid: done.value}.items() if k in mine})
    if done.error is None:
        got[uid] = done.value


def _outcome(claims, finished, reason: str, interrupted: bool = False) -> PlanOutcome:
    results = tuple(finished[c.id] for c in claims if c.id in finished)
    missing = tuple(c.id for c in claims if c.id not in finished)
    return PlanOutcome(results, missing, reason if missing else "", interrupted and bool(missing))
