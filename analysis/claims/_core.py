"""What a claim is, and what checking it produces.

A :class:`Claim` is what was asked: a statement quoted from a source, where it
stands, and the check that decides it. A :class:`CheckResult` is what was
observed: a verdict, how it was reached, the evidence and, for a refuted
claim, the corrected statement and how *that* was verified.
"""

from __future__ import annotations

import json
import re
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from analysis.seeds import SOURCES


class Verdict(StrEnum):
    CONFIRMED = "confirmed"
    REFUTED = "refuted"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"  # the check itself crashed: a bug to fix, never a finding


# How a verdict was reached. Keep this list short; a report groups by it.
METHODS = (
    "symbolic",  # sympy proof (simplification to zero, solving, series)
    "exhaustive",  # every case of a finite grid compared against an oracle
    "numeric",  # floating-point evaluation / quadrature / optimisation (scipy)
    "framework",  # computed with torch itself (shapes, autograd, modules)
    "property",  # random cases (seeded) against an oracle
    "monte-carlo",  # sampled statistics with a derived tolerance
    "experiment",  # training runs; verdict from their measured outcome
    "arithmetic",  # exact recomputation of a worked example's numbers
    "error",  # reserved for checks that crashed
)

_ID = re.compile(r"^[a-z0-9]+(\.[a-z0-9][a-z0-9_-]*)+$")


@dataclass(frozen=True)
class Correction:
    """The corrected statement for a refuted claim, and how it was verified."""

    statement: str
    verification: str

    def to_json(self) -> dict[str, str]:
        return {"statement": self.statement, "verification": self.verification}


@dataclass(frozen=True)
class CheckResult:
    """What a check observed.

    ``evidence`` must hold a ``summary``: one or two sentences a reader who has
    not seen the code can follow. Every other entry is a JSON scalar or a
    small list/dict of them.
    """

    verdict: Verdict
    method: str
    evidence: Mapping[str, Any]
    correction: Correction | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", Verdict(self.verdict))
        if self.method not in METHODS:
            raise ValueError(f"`method`={self.method!r} must be one of {', '.join(METHODS)}")
        evidence = dict(self.evidence)
        if not isinstance(evidence.get("summary"), str) or not evidence["summary"].strip():
            raise ValueError("`evidence` must hold a non-empty 'summary' string")
        try:
            json.dumps(evidence, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"`evidence` must be JSON-serialisable without NaN: {exc}") from exc
        object.__setattr__(self, "evidence", MappingProxyType(evidence))

    @property
    def summary(self) -> str:
        return self.evidence["summary"]


def confirmed(method: str, summary: str, **evidence: Any) -> CheckResult:
    return CheckResult(Verdict.CONFIRMED, method, {"summary": summary, **evidence})


def refuted(
    method: str, summary: str, correction: Correction | None = None, **evidence: Any
) -> CheckResult:
    return CheckResult(Verdict.REFUTED, method, {"summary": summary, **evidence}, correction)


def inconclusive(method: str, summary: str, **evidence: Any) -> CheckResult:
    return CheckResult(Verdict.INCONCLUSIVE, method, {"summary": summary, **evidence})


def decided(
    holds: bool,
    method: str,
    summary: str,
    correction: Correction | None = None,
    **evidence: Any,
) -> CheckResult:
    """Confirmed when ``holds``, else refuted (with ``correction`` if given)."""
    if holds:
        return confirmed(method, summary, **evidence)
    return refuted(method, summary, correction, **evidence)


@dataclass(frozen=True)
class Claim:
    """A statement from a source text and the check that decides it.

    ``id`` is stable across versions (``family.slug``); reports and the
    expected-verdicts file key on it. ``statement`` is a short quotation or a
    faithful paraphrase of what the source says. ``slow`` marks checks that
    take more than a few seconds (left out by ``cnnbench check --skip-slow``).
    """

    id: str
    seed: str
    locator: str
    statement: str
    check: Callable[[], CheckResult] = field(repr=False, compare=False)
    slow: bool = False

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ValueError(f"`id`={self.id!r} must look like 'family.slug' (lowercase, dots)")
        if self.seed not in SOURCES:
            raise ValueError(f"`seed`={self.seed!r} must be one of {', '.join(SOURCES)}")
        if not self.locator.strip() or not self.statement.strip():
            raise ValueError(f"claim {self.id!r} needs a locator and a statement")

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def source(self) -> str:
        return f"{self.seed} {self.locator}"


def claim_factory(family: str) -> Callable[..., Claim]:
    """``make(slug, seed, locator, statement, check, slow=False)`` -> ``Claim("family.slug", ...)``.

    Each family module builds its ``CLAIMS`` with one of these, so ids always
    carry the family prefix.
    """

    def make(
        slug: str,
        seed: str,
        locator: str,
        statement: str,
        check: Callable[[], CheckResult],
        slow: bool = False,
    ) -> Claim:
        return Claim(f"{family}.{slug}", seed, locator, statement, check, slow=slow)

    return make


@dataclass(frozen=True)
class ClaimResult:
    """A claim together with what checking it gave, and how long that took."""

    claim: Claim
    result: CheckResult
    seconds: float

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
            "seconds": round(self.seconds, 3),
        }


def run_claim(claim: Claim) -> ClaimResult:
    """Run one claim's check; a crash becomes an ``error`` verdict, never a pass.

    The check runs under :func:`analysis.reproducible.deterministic` keyed by the
    claim's id: one thread, deterministic algorithms, generators seeded from
    the id, so its verdict is the same alone (``--only``), in any order and
    whatever the caller's thread count.
    """
    from analysis.reproducible import deterministic

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
