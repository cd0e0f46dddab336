"""What a claim is, and what checking it produces.

A :class:`Claim` is what was asked: a statement quoted from a source, where it
stands, and the check that decides it. A :class:`CheckResult` is what was
observed: a verdict, how it was reached, the evidence and, for a refuted
claim, the corrected statement and how *that* was verified.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from cnnbench.analysis.seeds import SOURCES


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

# How serious a refuted claim's error is (issue 10), most serious first:
SEVERITIES = (
    "substantive",  # a result or conclusion of the text changes
    "slip",  # a typo or notational error the text's argument does not depend on
    "transcription",  # the transcription is wrong and the original likely right
)
# The reading a check records when it tests the statement in one way only.
AS_STATED = "the statement as written (the only reading this check tests)"


def reading(text: str, holds: bool, *, reasonable: bool = True, **detail: Any) -> dict[str, Any]:
    """One way of reading a claim, whether it holds, and what decided it.

    ``reasonable=False`` records a reading that was tried and rejected (say why
    in ``why``): it may hold without saving the claim.

    >>> reading("sizes in MiB", False, printed=40, computed=38.1)  # bit-exact: stored
    {'reading': 'sizes in MiB', 'holds': False, 'printed': 40, 'computed': 38.1}
    """
    out = {"reading": text, "holds": bool(holds), **detail}
    if not reasonable:
        out["reasonable"] = False
    return out


def _validate_readings(verdict: Verdict, readings: Any) -> None:
    if not isinstance(readings, list) or not readings:
        raise ValueError("`evidence.readings` must be a non-empty list of readings")
    for r in readings:
        if not isinstance(r, dict) or not isinstance(r.get("reading"), str) \
                or not isinstance(r.get("holds"), bool):
            raise ValueError(f"reading {r!r} needs a 'reading' string and a 'holds' bool")
    fair = [r for r in readings if r.get("reasonable", True)]
    if verdict is Verdict.REFUTED and any(r["holds"] for r in fair):
        held = [r["reading"] for r in fair if r["holds"]]
        raise ValueError(f"refuted although these readings hold: {held}; a claim is refuted "
                         "only when no reasonable reading holds")  # fmt: skip
    if verdict is Verdict.CONFIRMED and not any(r["holds"] for r in fair):
        raise ValueError("confirmed, but no reasonable recorded reading holds")


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
    severity: str | None = None  # refuted only; else the claim's declared severity applies
    caveat: str | None = None  # confirmed only under a condition the text leaves implicit

    def __post_init__(self) -> None:
        object.__setattr__(self, "verdict", Verdict(self.verdict))
        if self.method not in METHODS:
            raise ValueError(f"`method`={self.method!r} must be one of {', '.join(METHODS)}")
        evidence = dict(self.evidence)
        if not isinstance(evidence.get("summary"), str) or not evidence["summary"].strip():
            raise ValueError("`evidence` must hold a non-empty 'summary' string")
        if "readings" in evidence:
            _validate_readings(self.verdict, evidence["readings"])
        elif self.verdict is Verdict.REFUTED:
            raise ValueError("a refuted result must record the readings it tried "
                             "(`evidence.readings`), none of which holds")  # fmt: skip
        if self.severity is not None and (self.verdict is not Verdict.REFUTED
                                          or self.severity not in SEVERITIES):  # fmt: skip
            raise ValueError(f"`severity`={self.severity!r}: only a refuted result has one, "
                             f"and it is one of {', '.join(SEVERITIES)}")  # fmt: skip
        if self.caveat is not None and self.verdict is not Verdict.CONFIRMED:
            raise ValueError("only a confirmed result carries a `caveat`")
        try:
            json.dumps(evidence, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"`evidence` must be JSON-serialisable without NaN: {exc}") from exc
        object.__setattr__(self, "evidence", MappingProxyType(evidence))

    @property
    def summary(self) -> str:
        return self.evidence["summary"]

    def __reduce__(self):
        # The evidence is a read-only view, which pickle refuses: a result travels from a
        # worker process as a dict and is rebuilt (and validated again) on arrival.
        return (CheckResult, (self.verdict, self.method, dict(self.evidence), self.correction,
                              self.severity, self.caveat))  # fmt: skip


def confirmed(
    method: str, summary: str, *, caveat: str | None = None, **evidence: Any
) -> CheckResult:
    """Confirmed. Without ``readings`` the check tested one reading, the statement as written."""
    evidence.setdefault("readings", [reading(AS_STATED, True)])
    return CheckResult(Verdict.CONFIRMED, method, {"summary": summary, **evidence},
                       caveat=caveat)  # fmt: skip


def refuted(
    method: str,
    summary: str,
    correction: Correction | None = None,
    *,
    severity: str | None = None,
    **evidence: Any,
) -> CheckResult:
    """Refuted: ``readings`` (required) lists every reading tried; none may hold."""
    return CheckResult(Verdict.REFUTED, method, {"summary": summary, **evidence}, correction,
                       severity=severity)  # fmt: skip


def inconclusive(method: str, summary: str, **evidence: Any) -> CheckResult:
    return CheckResult(Verdict.INCONCLUSIVE, method, {"summary": summary, **evidence})


def decided(
    holds: bool,
    method: str,
    summary: str,
    correction: Correction | None = None,
    *,
    severity: str | None = None,
    caveat: str | None = None,
    **evidence: Any,
) -> CheckResult:
    """Confirmed when ``holds``, else refuted (with ``correction`` if given).

    Without ``readings`` the one reading tested is the statement as written.
    """
    evidence.setdefault("readings", [reading(AS_STATED, holds)])
    if holds:
        return confirmed(method, summary, caveat=caveat, **evidence)
    return refuted(method, summary, correction, severity=severity, **evidence)


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
    # If the check refutes the claim: how serious the text's error is (SEVERITIES),
    # why (one line), and the id of another claim that refutes the same error.
    severity: str | None = None
    severity_reason: str = ""
    same_as: str | None = None
    # A grid-shaped check's independent units (cnnbench.analysis.units): an executor
    # computes them on workers and the check only combines them; serially, the check
    # computes them itself. None: the claim is one unit.
    units: Callable[[], tuple[Any, ...]] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ValueError(f"`id`={self.id!r} must look like 'family.slug' (lowercase, dots)")
        if self.severity is not None and self.severity not in SEVERITIES:
            raise ValueError(f"claim {self.id!r}: `severity`={self.severity!r} must be one of "
                             f"{', '.join(SEVERITIES)}")  # fmt: skip
        if self.same_as is not None and not _ID.match(self.same_as):
            raise ValueError(f"claim {self.id!r}: `same_as`={self.same_as!r} is not a claim id")
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
        **judgement: Any,
    ) -> Claim:
        """``judgement``: ``severity``, ``severity_reason``, ``same_as`` (see :class:`Claim`)."""
        return Claim(f"{family}.{slug}", seed, locator, statement, check, slow=slow, **judgement)

    return make
