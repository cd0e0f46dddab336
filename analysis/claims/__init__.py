"""The claims registry: every checked statement of the source texts.

Each family package keeps its claims in ``analysis/<family>/claims.py`` (some
families have two such modules) as a module constant ``CLAIMS`` (a tuple of
:class:`Claim`). Adding a family is adding its claims module to
:data:`FAMILY_MODULES`; nothing registers itself at import. Claims modules
import their family's checks; checks import only this package's core
(``CheckResult`` and friends), never a claims module.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from cnnbench.analysis.claims._core import (
    AS_STATED,
    METHODS,
    SEVERITIES,
    CheckResult,
    Claim,
    Correction,
    Verdict,
    claim_factory,
    confirmed,
    decided,
    inconclusive,
    reading,
    refuted,
)
from cnnbench.analysis.claims._run import ClaimResult, run_claim

__all__ = [
    "AS_STATED",
    "FAMILY_MODULES",
    "METHODS",
    "SEVERITIES",
    "CheckResult",
    "Claim",
    "ClaimResult",
    "Correction",
    "Difference",
    "Verdict",
    "all_claims",
    "claim_factory",
    "compare_expected",
    "confirmed",
    "decided",
    "inconclusive",
    "reading",
    "refuted",
    "run_claim",
    "run_claims",
    "select_claims",
]

# The claims modules in reading order: sizes and receptive fields, the design
# problem, activations, variance and training, normalization, complexity, the
# remaining worked examples.
FAMILY_MODULES: tuple[str, ...] = (
    "cnnbench.analysis.shapes.claims",
    "cnnbench.analysis.shapes.claims_worked",
    "cnnbench.analysis.receptive.claims",
    "cnnbench.analysis.maxdepth.claims",
    "cnnbench.analysis.activations.claims",
    "cnnbench.analysis.activations.taylor_claims",
    "cnnbench.analysis.variance.claims",
    "cnnbench.analysis.training.claims",
    "cnnbench.analysis.normalization.claims",
    "cnnbench.analysis.networks.complexity_claims",
    "cnnbench.analysis.networks.claims",
    "cnnbench.analysis.examples.claims",
)


def all_claims() -> tuple[Claim, ...]:
    """Every registered claim, in family order; ids are checked to be unique."""
    claims: list[Claim] = []
    for name in FAMILY_MODULES:
        module = importlib.import_module(name)
        claims.extend(module.CLAIMS)
    seen: set[str] = set()
    for claim in claims:
        if claim.id in seen:
            raise ValueError(f"duplicate claim id {claim.id!r}")
        seen.add(claim.id)
    return tuple(claims)


def select_claims(
    claims: Iterable[Claim], pattern: str | None = None, *, skip_slow: bool = False
) -> tuple[Claim, ...]:
    """Claims whose id or source matches the regular expression ``pattern``."""
    regex = re.compile(pattern) if pattern else None
    return tuple(
        c
        for c in claims
        if (regex is None or regex.search(c.id) or regex.search(c.source))
        and not (skip_slow and c.slow)
    )


def run_claims(
    claims: Iterable[Claim], on_done: Callable[[ClaimResult], None] | None = None
) -> Iterator[ClaimResult]:
    """Run each claim in turn, yielding its result (and telling ``on_done``)."""
    for claim in claims:
        result = run_claim(claim)
        if on_done is not None:
            on_done(result)
        yield result


@dataclass(frozen=True)
class Difference:
    """A claim whose verdict differs from the committed expectation."""

    id: str
    expected: str | None  # None: the claim is new, not in the expectations
    got: str | None  # None: the claim was expected but not run/registered

    def describe(self) -> str:
        if self.expected is None:
            return f"{self.id}: new claim (verdict {self.got}) is not in the expectations"
        if self.got is None:
            return f"{self.id}: expected {self.expected} but the claim was not run"
        return f"{self.id}: expected {self.expected}, got {self.got}"


def compare_expected(
    results: Iterable[ClaimResult],
    expected: Mapping[str, str],
    *,
    registered: Iterable[str] = (),
) -> list[Difference]:
    """Differences between verdicts and expectations.

    Claims that were deliberately not run (``--only``, ``--skip-slow``) are
    not differences; an expected id that is no longer registered at all is.
    """
    got = {r.claim.id: r.result.verdict.value for r in results}
    known = set(registered) | set(got)
    diffs = [Difference(i, expected.get(i), v) for i, v in got.items() if expected.get(i) != v]
    diffs += [Difference(i, v, None) for i, v in expected.items() if i not in known]
    return sorted(diffs, key=lambda d: d.id)
