"""Running claims: one :class:`ClaimResult` per claim, reproducibly."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from typing import Any

from cnnbench.analysis.claims._core import CheckResult, Claim, Verdict


@dataclass(frozen=True)
class ClaimResult:
    """A claim together with what checking it gave, and how long that took."""

    claim: Claim
    result: CheckResult
    seconds: float

    @property
    def severity(self) -> str | None:
        """The check's severity, else the claim's declared one; None unless refuted."""
        if self.result.verdict is not Verdict.REFUTED:
            return None
        return self.result.severity or self.claim.severity

    @property
    def same_as(self) -> str | None:
        """Another claim refuting the same error (counted once), when this one is refuted."""
        return self.claim.same_as if self.result.verdict is Verdict.REFUTED else None

    def to_json(self) -> dict[str, Any]:
        c, r = self.claim, self.result
        return {
            "id": c.id,
            "source": c.source,
            "seed": c.seed,
            "locator": c.locator,
            "family": c.family,
            "statement": c.statement,
            "verdict": r.verdict.value,
            "method": r.method,
            "evidence": dict(r.evidence),
            "correction": None if r.correction is None else r.correction.to_json(),
            "severity": self.severity,
            "severity_reason": c.severity_reason if self.severity else "",
            "same_as": self.same_as,
            "caveat": r.caveat,
            "seconds": round(self.seconds, 3),
        }


def run_claim(claim: Claim) -> ClaimResult:
    """Run one claim's check; a crash becomes an ``error`` verdict, never a pass.

    The check runs under :func:`cnnbench.analysis.reproducible.deterministic` keyed by the
    claim's id: one thread, deterministic algorithms, generators seeded from
    the id, so its verdict is the same alone (``--only``), in any order and
    whatever the caller's thread count.
    """
    from cnnbench.analysis.reproducible import deterministic

    start = time.perf_counter()
    try:
        with deterministic(claim.id):
            result = claim.check()
        if not isinstance(result, CheckResult):
            raise TypeError(f"check returned {type(result).__name__}, not CheckResult")
    except Exception as exc:  # a crashing check is reported, not raised
        tb = traceback.format_exception(exc)
        result = CheckResult(
            Verdict.ERROR,
            "error",
            {"summary": f"the check crashed: {exc!r}", "traceback": "".join(tb[-3:])},
        )
    return ClaimResult(claim, result, time.perf_counter() - start)
